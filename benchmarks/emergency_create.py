"""Benchmark: create-incident API at a paced 200 requests/s (target p99 under 50 ms).

Starts the real app (``uvicorn``, SQLite, in-process bus) in a subprocess, then sends
``POST /api/emergency/incidents`` with a bearer token on an open-loop schedule of 200 requests
per second from several client threads (a late request is not postponed: its delay counts).
Baseline in the same run: ``GET /healthz`` on the same server at the same rate.

    .venv/bin/python benchmarks/emergency_create.py [--seconds 10] [--rate 200]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from emergency_common import percentiles

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


def _paced(send: object, rate: float, seconds: float) -> list[float]:
    total = int(rate * seconds)
    start = time.perf_counter() + 0.2
    latencies: list[float] = []

    def one(i: int) -> None:
        due = start + i / rate
        time.sleep(max(0.0, due - time.perf_counter()))
        send(i)  # type: ignore[operator]
        latencies.append(time.perf_counter() - due)

    with ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(one, range(total)))
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rate", type=float, default=200)
    args = parser.parse_args()
    port = _free_port()
    server = _start_server(Path(tempfile.mkdtemp(prefix="warroom-bench-")), port)
    try:
        base = f"http://127.0.0.1:{port}"
        token = httpx.post(
            f"{base}/api/auth/token", json={"username": "bench", "password": PASSWORD}
        ).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        client = httpx.Client(
            base_url=base, headers=headers, limits=httpx.Limits(max_connections=32), timeout=30
        )
        rng = random.Random(7)

        def create(_: int) -> None:
            body = {
                "type": "medical",
                "location": {"lat": rng.uniform(-5.19, -5.10), "lon": rng.uniform(119.42, 119.50)},
            }
            response = client.post("/api/emergency/incidents", json=body)
            assert response.status_code == 201, response.text

        def health(_: int) -> None:
            client.get("/healthz")

        _paced(create, 50, 1)  # warm-up: region index, connections
        created = percentiles(_paced(create, args.rate, args.seconds))
        baseline = percentiles(_paced(health, args.rate, args.seconds))
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
                "ratio_p99": round(created["p99_ms"] / max(baseline["p99_ms"], 0.01), 2),
                "target_p99_ms": 50,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
