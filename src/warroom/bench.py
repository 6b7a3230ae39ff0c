"""`warroom bench ...`: the foundation's figures, each against a baseline in the same run.

- startup: `warroom serve` until /readyz answers, against a bare uvicorn+Starlette process
  until it answers (the floor any Python web process pays).
- api-read: authenticated JSON reads under load with wrk, against a bare Starlette endpoint
  returning the same body, both served by uvicorn on 127.0.0.1 with the same worker count.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

BARE_APP = """
import json, os, sys
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
BODY = open(os.environ["BARE_BODY"], "rb").read()
async def read(request):
    return Response(BODY, media_type="application/json")
async def ready(request):
    return Response(b'{"status":"ready"}', media_type="application/json")
app = Starlette(routes=[Route("/api/read", read), Route("/readyz", ready)])
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, timeout: float = 30.0) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return time.perf_counter() - start
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@contextmanager
def running(cmd: list[str], env: dict[str, str], ready_url: str) -> Iterator[float]:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_ready(ready_url)
        yield time.perf_counter() - start
    except TimeoutError:
        proc.kill()
        raise RuntimeError(f"server did not start: {proc.stderr.read().decode()[-2000:]}") from None  # type: ignore[union-attr]
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def warroom_env(data_dir: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    env.update(
        {
            "WARROOM_DATA_DIR": str(data_dir),
            "WARROOM_PORT": str(port),
            "WARROOM_SECRET_KEY": "bench-" + os.urandom(16).hex(),
            "WARROOM_LOG_LEVEL": "WARNING",
        }
    )
    return env


def _upgrade(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "warroom", "db", "upgrade"], env=env, check=True, capture_output=True
    )


def bare_cmd(port: int, workers: int = 1) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "bare_app:app",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]


def _bare_env(folder: Path, body: bytes) -> dict[str, str]:
    (folder / "bare_app.py").write_text(BARE_APP)
    (folder / "body.json").write_bytes(body)
    return {**os.environ, "PYTHONPATH": str(folder), "BARE_BODY": str(folder / "body.json")}


def bench_startup(runs: int) -> dict[str, Any]:
    warroom_s, bare_s = [], []
    with tempfile.TemporaryDirectory() as tmp:
        env = warroom_env(Path(tmp), free_port())
        _upgrade(env)
        bare_env = _bare_env(Path(tmp), b"{}")
        for _ in range(runs):
            port = free_port()
            env["WARROOM_PORT"] = str(port)
            cmd = [sys.executable, "-m", "warroom", "serve"]
            with running(cmd, env, f"http://127.0.0.1:{port}/readyz") as seconds:
                warroom_s.append(seconds)
            port = free_port()
            with running(bare_cmd(port), bare_env, f"http://127.0.0.1:{port}/readyz") as seconds:
                bare_s.append(seconds)
    return {
        "benchmark": "startup",
        "runs": runs,
        "warroom_serve_to_readyz_s": _summary(warroom_s),
        "bare_uvicorn_starlette_s": _summary(bare_s),
        "ratio_median": round(statistics.median(warroom_s) / statistics.median(bare_s), 2),
    }


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"median": round(statistics.median(ordered), 3), "max": round(ordered[-1], 3)}


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def parse_wrk(output: str) -> dict[str, float]:
    """Requests/s and latency percentiles (ms) from `wrk --latency` output."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    result = {"requests_per_s": rps}
    for pct, value, unit in re.findall(r"^\s+(50|90|99)%\s+([\d.]+)(us|ms|s)\s*$", output, re.M):
        result[f"p{pct}_ms"] = round(float(value) * _UNITS[unit], 2)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    result["non_2xx"] = float(errors.group(1)) if errors else 0.0
    return result


def run_wrk(url: str, *, seconds: int, connections: int, headers: list[str]) -> dict[str, float]:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (Debian package 'wrk'; `make setup` installs it)")
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for header in headers:
        cmd += ["-H", header]
    done = subprocess.run([*cmd, url], capture_output=True, text=True, check=True)
    return parse_wrk(done.stdout)


def _issue_token(base: str, username: str, password: str) -> str:
    request = urllib.request.Request(
        f"{base}/api/auth/token",
        method="POST",
        data=json.dumps({"username": username, "password": password}).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return str(json.load(response)["token"])


def bench_api_read(seconds: int, connections: int, path: str, workers: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        env = warroom_env(Path(tmp), free_port())
        _upgrade(env)
        password = "bench-" + os.urandom(8).hex()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "warroom",
                "users",
                "create",
                "bench",
                "--role",
                "operator",
                "--password-stdin",
            ],
            env=env,
            input=password + "\n",
            text=True,
            check=True,
            capture_output=True,
        )
        base = f"http://127.0.0.1:{env['WARROOM_PORT']}"
        cmd = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "warroom.web.asgi:app",
            "--port",
            env["WARROOM_PORT"],
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        with running(cmd, env, f"{base}/readyz"):
            token = _issue_token(base, "bench", password)
            auth = [f"Authorization: Bearer {token}"]
            with urllib.request.urlopen(
                urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
            ) as response:
                body = response.read()
            run_wrk(base + path, seconds=2, connections=connections, headers=auth)  # warm-up
            warroom = run_wrk(base + path, seconds=seconds, connections=connections, headers=auth)
        port = free_port()
        bare_env = _bare_env(Path(tmp), body)
        with running(bare_cmd(port, workers), bare_env, f"http://127.0.0.1:{port}/readyz"):
            url = f"http://127.0.0.1:{port}/api/read"
            run_wrk(url, seconds=2, connections=connections, headers=[])
            bare = run_wrk(url, seconds=seconds, connections=connections, headers=[])
    return {
        "benchmark": "api-read",
        "path": path,
        "seconds": seconds,
        "connections": connections,
        "workers": workers,
        "response_bytes": len(body),
        "warroom": warroom,
        "bare_starlette": bare,
        "throughput_ratio": round(warroom["requests_per_s"] / bare["requests_per_s"], 2),
    }


def register_bench_commands(bench_app: typer.Typer) -> None:
    @bench_app.command("startup")
    def startup(runs: Annotated[int, typer.Option(min=1)] = 5) -> None:
        """Time from starting `warroom serve` until /readyz answers."""
        typer.echo(json.dumps(bench_startup(runs), indent=2))

    @bench_app.command("api-read")
    def api_read(
        seconds: Annotated[int, typer.Option(min=1)] = 10,
        connections: Annotated[int, typer.Option(min=1)] = 32,
        path: str = "/api/geo/regions?level=kecamatan",
        workers: Annotated[int, typer.Option(min=1)] = 2,
    ) -> None:
        """Authenticated JSON reads with wrk against a bare Starlette endpoint."""
        typer.echo(json.dumps(bench_api_read(seconds, connections, path, workers), indent=2))
