"""Benchmark: create-incident API at a paced 200 requests/s (target p99 under 50 ms).

Starts the real app (``uvicorn``, SQLite, in-process bus) in a subprocess, then sends
``POST /api/emergency/incidents`` with a bearer token on an open-loop schedule of 200 requests
per second over keep-alive connections from a generator process of its own (asyncio, raw
sockets; a late request is not postponed: its delay counts). Reports the server's and the
generator's CPU per request (they share the machine). Baseline in the same run: ``GET /healthz``
on the same server at the same rate.

    .venv/bin/python benchmarks/emergency_create.py [--seconds 30] [--rate 200]

30 seconds give 6,000 samples, so the p99 rests on 60 of them, and a one-off pause weighs as
it would over a shift: the first full garbage collection after start (about 280,000 objects,
100-200 ms on a busy 2-core machine) falls in the first two thousand creates.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import httpx
from emergency_common import LoadRun, http_request, open_loop, percentiles, process_cpu_seconds

PASSWORD = "bench-password-1234"  # noqa: S105 - throwaway account in a temp database


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(data: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "WARROOM_DATA_DIR": str(data),
        "WARROOM_SECRET_KEY": "bench-secret-key-0123456789",
        "WARROOM_LOG_LEVEL": "WARNING",
    }
    py = sys.executable
    subprocess.run([py, "-m", "warroom", "db", "upgrade"], env=env, check=True)
    subprocess.run(
        [
            py,
            "-m",
            "warroom",
            "users",
            "create",
            "bench",
            "--role",
            "supervisor",
            "--password-stdin",
        ],
        env=env,
        check=True,
        capture_output=True,
        input=PASSWORD.encode(),
    )
    server = subprocess.Popen(
        [
            py,
            "-m",
            "uvicorn",
            "--factory",
            "warroom.web.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    for _ in range(100):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not start")


def _create_bodies(count: int, seed: int = 7) -> list[bytes]:
    rng = random.Random(seed)
    return [
        json.dumps(
            {
                "type": "medical",
                "location": {"lat": rng.uniform(-5.19, -5.10), "lon": rng.uniform(119.42, 119.50)},
            }
        ).encode()
        for _ in range(count)
    ]


def _run_phase(
    pool: ProcessPoolExecutor, server_pid: int, port: int, requests: list[bytes], rate: float
) -> dict[str, object]:
    """One paced run from the generator process, with the server's CPU over the same span."""
    cpu0 = process_cpu_seconds(server_pid)
    run: LoadRun = pool.submit(open_loop, port, requests, rate).result()
    server_cpu = process_cpu_seconds(server_pid) - cpu0
    count = len(requests)
    return {
        **percentiles(run.latencies),
        "statuses": run.statuses,
        "achieved_per_s": round(count / run.wall_seconds, 1),
        "server_cpu_ms_per_request": round(1000 * server_cpu / count, 2),
        "generator_cpu_ms_per_request": round(1000 * run.generator_cpu_seconds / count, 3),
        "generator_core_share": round(run.generator_cpu_seconds / run.wall_seconds, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rate", type=float, default=200)
    args = parser.parse_args()
    port = _free_port()
    server = _start_server(Path(tempfile.mkdtemp(prefix="warroom-bench-")), port)
    try:
        token = httpx.post(
            f"http://127.0.0.1:{port}/api/auth/token",
            json={"username": "bench", "password": PASSWORD},
        ).json()["token"]
        count = int(args.rate * args.seconds)
        creates = [
            http_request("POST", "/api/emergency/incidents", token=token, body=body)
            for body in _create_bodies(count + 50)
        ]
        health = [http_request("GET", "/healthz", token=token)] * count
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
            _run_phase(pool, server.pid, port, creates[:50], 50)  # warm-up: caches, connections
            created = _run_phase(pool, server.pid, port, creates[50:], args.rate)
            baseline = _run_phase(pool, server.pid, port, health, args.rate)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(
        json.dumps(
            {
                "benchmark": "emergency_create_incident",
                "rate_per_s": args.rate,
                "create_incident": created,
                "baseline_healthz": baseline,
                "ratio_p99": round(
                    float(created["p99_ms"]) / max(float(baseline["p99_ms"]), 0.01),  # type: ignore[arg-type]
                    2,
                ),
                "target_p99_ms": 50,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
