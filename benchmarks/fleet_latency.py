"""Benchmark: live latency from a tracker's message to a WebSocket map client under load.

    python benchmarks/fleet_latency.py [--database sqlite|postgresql+psycopg://...]
        [--rate 10000] [--devices 1000] [--seconds 30] [--probes 20]

Runs the real server (`python -m warroom serve`, Teltonika listener on), a load process
sending `--rate` positions a second (open loop: `--devices` Teltonika devices, one packet of
rate/devices records a second each), and here: `--probes` devices that each send one fresh
fix a second and a WebSocket client on /ws/fleet. Latency = time the fix appears on the socket
minus the time its packet was written. Prints one JSON object with p50/p99/max, the load
actually achieved and the server's CPU share over the probes' window (1.0 = one core busy),
and the baseline (latency of the same probes with no load, same run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import websockets
from fleet_common import ACTOR, imei, register_trackers

from warroom.accounts import service as accounts
from warroom.accounts.schemas import UserCreate
from warroom.bench import free_port
from warroom.core import migrate
from warroom.core.db import Database
from warroom.core.security.permissions import Role
from warroom.fleet.encoders import SimFix, teltonika_avl, teltonika_login

SECRET = "benchmark-secret-0123456789"  # noqa: S105 - a throwaway benchmark server
PASSWORD = "benchmark password 1"  # noqa: S105


def prepare(url: str, devices: int) -> None:
    db = Database(url)
    migrate.upgrade(db)
    with db.write() as session:
        accounts.create_user(
            session,
            data=UserCreate(username="bench", role=Role.ADMIN, password=PASSWORD),
            actor=ACTOR,
        )
        register_trackers(session, devices, protocol="teltonika", tag="LT")
    db.dispose()


async def _load_device(n: int, port: int, per_second: int, until: float) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(teltonika_login(imei(n)))
    await reader.readexactly(1)
    start = datetime.now(UTC) - timedelta(hours=1)
    second = 0
    tick = time.monotonic()
    while time.time() < until:
        fixes = [
            SimFix(start + timedelta(seconds=second, milliseconds=i * 1000 // per_second),
                   -5.15 + (second % 300) * 1e-4, 119.43 + n * 1e-5, 30.0)
            for i in range(per_second)
        ]  # fmt: skip
        writer.write(teltonika_avl(fixes))
        await reader.readexactly(4)
        second += 1
        tick += 1.0
        await asyncio.sleep(max(0.0, tick - time.monotonic()))
    writer.close()


def load_process(port: int, devices: range, per_second: int, until: float) -> None:
    async def main() -> None:
        await asyncio.gather(*(_load_device(n, port, per_second, until) for n in devices))

    asyncio.run(main())


async def probe(n: int, port: int, until: float, sent: dict[tuple[int, str], float]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(teltonika_login(imei(n)))
    await reader.readexactly(1)
    while time.time() < until:
        now = datetime.now(UTC).replace(microsecond=0)
        fix = SimFix(now, -5.15 + (now.second % 60) * 1e-4, 119.5, 30.0)
        sent[(n, fix.time.isoformat())] = time.perf_counter()
        writer.write(teltonika_avl([fix]))
        await reader.readexactly(4)
        await asyncio.sleep(1.0 - (time.time() % 1.0) + 0.01)
    writer.close()


async def watch(url: str, token: str, device_ids: dict[int, int], sent: dict[Any, float],
                latencies: list[float], until: float) -> None:  # fmt: skip
    headers = {"Authorization": f"Bearer {token}"}
    async with websockets.connect(url, additional_headers=headers, max_size=2**24) as socket:
        while time.time() < until:
            try:
                raw = await asyncio.wait_for(socket.recv(), timeout=max(0.1, until - time.time()))
            except TimeoutError:
                return
            arrived = time.perf_counter()
            for row in json.loads(raw).get("positions", []):
                probe_index = device_ids.get(row["device_id"])
                key = (probe_index, row["time"])
                if probe_index is not None and key in sent:
                    latencies.append(arrived - sent.pop(key))


async def measure(args: argparse.Namespace, web: str, port: int, token: str,
                  probes: range, seconds: float) -> list[float]:  # fmt: skip
    async with httpx.AsyncClient(base_url=web, headers={"Authorization": f"Bearer {token}"}) as c:
        live = (await c.get("/api/fleet/devices")).json()
    device_ids = {row["id"]: int(row["unique_id"][2:]) for row in live}
    device_ids = {k: v for k, v in device_ids.items() if v in probes}
    sent: dict[Any, float] = {}
    latencies: list[float] = []
    until = time.time() + seconds
    ws_url = web.replace("http", "ws") + "/ws/fleet"
    watcher = asyncio.create_task(watch(ws_url, token, device_ids, sent, latencies, until + 2))
    await asyncio.sleep(0.5)
    await asyncio.gather(*(probe(n, port, until, sent) for n in probes))
    await watcher
    return latencies


def summary(latencies: list[float]) -> dict[str, float]:
    if not latencies:
        return {"samples": 0}
    ordered = sorted(latencies)
    return {
        "samples": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="sqlite")
    parser.add_argument("--rate", type=int, default=10_000)
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--probes", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}" if args.database == "sqlite" else args.database
        total = args.devices + args.probes
        prepare(url, total)
        web_port, port = free_port(), free_port()
        env = {
            **os.environ, "WARROOM_SECRET_KEY": SECRET, "WARROOM_DATABASE_URL": url,
            "WARROOM_DATA_DIR": tmp, "WARROOM_PORT": str(web_port), "WARROOM_LOG_LEVEL": "WARNING",
            "WARROOM_FLEET_LISTENERS": f"teltonika:{port}", "WARROOM_FLEET_BIND_HOST": "127.0.0.1",
            "WARROOM_FLEET_UDP": "false", "WARROOM_FLEET_FILTER_PAST_DAYS": "0",
        }  # fmt: skip
        server = subprocess.Popen([sys.executable, "-m", "warroom", "serve"], env=env)
        try:
            result = run(args, f"http://127.0.0.1:{web_port}", port, server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(json.dumps({"benchmark": "fleet_latency", "database": url.split(":")[0], **result}))


def run(args: argparse.Namespace, web: str, port: int, server: int) -> dict[str, Any]:
    deadline = time.time() + 60
    while True:
        try:
            httpx.get(web + "/healthz", timeout=1)
            break
        except httpx.HTTPError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)
    token = httpx.post(
        web + "/api/auth/token", json={"username": "bench", "password": PASSWORD}
    ).json()["token"]
    probes = range(args.devices, args.devices + args.probes)
    idle = asyncio.run(measure(args, web, port, token, probes, 8))
    per_second = max(1, args.rate // args.devices)
    until = time.time() + args.seconds + 5
    load = multiprocessing.Process(
        target=load_process, args=(port, range(args.devices), per_second, until)
    )
    load.start()
    time.sleep(5)  # let the load settle
    window: dict[str, float] = {}
    sampler = threading.Thread(target=_sample_load, args=(web, token, server, args, window))
    sampler.start()
    loaded = asyncio.run(measure(args, web, port, token, probes, args.seconds))
    sampler.join()
    load.join()
    return {
        "offered_positions_per_s": per_second * args.devices,
        "achieved_positions_per_s": round(window["stored"] / window["seconds"]),
        "server_cpu_share": round(window["cpu"] / window["seconds"], 2),
        "under_load": summary(loaded),
        "baseline_no_load": summary(idle),
        "ratio_p99_to_1s_target": round(summary(loaded).get("p99_ms", 0) / 1000, 3),
    }


def _sample_load(
    web: str, token: str, server: int, args: argparse.Namespace, out: dict[str, float]
) -> None:
    """Positions stored and server CPU seconds over the measured window only (the probes'
    seconds, while the load runs), not over the watcher's tail after it."""
    stored, cpu, started = _stored(web, token), _cpu_seconds(server), time.time()
    time.sleep(args.seconds)
    out["stored"] = _stored(web, token) - stored
    out["cpu"] = _cpu_seconds(server) - cpu
    out["seconds"] = time.time() - started


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _stored(web: str, token: str) -> int:
    """Positions stored so far, from the metrics counter (no extra database connection)."""
    text = httpx.get(web + "/metrics", headers={"Authorization": f"Bearer {token}"}).text
    for line in text.splitlines():
        if line.startswith("warroom_fleet_positions_stored_total"):
            return int(float(line.split()[-1]))
    return 0


if __name__ == "__main__":
    main()
