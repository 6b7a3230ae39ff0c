"""Shared set-up for the emergency benchmarks: a fresh migrated SQLite database, percentiles,
and a cheap open-loop HTTP load generator (asyncio, raw keep-alive sockets)."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from warroom.core import migrate
from warroom.core.db import Database


def fresh_database() -> Database:
    path = Path(tempfile.mkdtemp(prefix="warroom-bench-")) / "bench.db"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db)
    return db


def percentiles(seconds: list[float]) -> dict[str, float]:
    ms = np.asarray(seconds) * 1000
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
        "max_ms": round(float(ms.max()), 2),
        "runs": int(ms.size),
    }


def clock() -> float:
    return time.perf_counter()


@dataclass(frozen=True)
class LoadRun:
    """What an open-loop run measured: each request's latency from its due time (in sending
    order), the status codes, and the CPU the generator itself used (it shares the machine
    with the server)."""

    latencies: list[float]
    statuses: dict[int, int]
    generator_cpu_seconds: float
    wall_seconds: float


def http_request(method: str, path: str, *, token: str, body: bytes = b"") -> bytes:
    """One keep-alive HTTP/1.1 request, ready to write to a socket."""
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return int(head[9:12])


class _Connections:
    """Keep-alive connections: an idle one is reused, a new one opened while under the cap;
    beyond the cap a request waits, and the wait counts in its latency."""

    def __init__(self, port: int, cap: int) -> None:
        self._port, self._cap, self._opened = port, cap, 0
        self._idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]]
        self._idle = asyncio.Queue()

    async def take(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._idle.empty() and self._opened < self._cap:
            self._opened += 1
            return await asyncio.open_connection("127.0.0.1", self._port)
        return await self._idle.get()

    def give_back(self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter]) -> None:
        self._idle.put_nowait(conn)


async def _open_loop(port: int, requests: list[bytes], rate: float, cap: int) -> LoadRun:
    connections = _Connections(port, cap)
    latencies = [0.0] * len(requests)
    statuses: dict[int, int] = {}

    async def send(i: int, raw: bytes, due: float) -> None:
        reader, writer = conn = await connections.take()
        writer.write(raw)
        status = await _read_response(reader)
        latencies[i] = time.perf_counter() - due
        statuses[status] = statuses.get(status, 0) + 1
        connections.give_back(conn)

    cpu0, start = time.process_time(), time.perf_counter() + 0.05
    tasks = []
    for i, raw in enumerate(requests):
        due = start + i / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        tasks.append(asyncio.create_task(send(i, raw, due)))
    await asyncio.gather(*tasks)
    return LoadRun(latencies, statuses, time.process_time() - cpu0, time.perf_counter() - start)


def open_loop(port: int, requests: list[bytes], rate: float, cap: int = 64) -> LoadRun:
    """Send ``requests`` at ``rate`` per second on a fixed schedule (a late answer does not
    delay the next request). Run it in its own process so its CPU is its own."""
    import uvloop  # uvicorn[standard] ships it; it roughly halves the generator's own CPU

    return uvloop.run(_open_loop(port, requests, rate, cap))


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of a whole process (all threads), from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
