"""Benchmark: server memory over a soak with many simulated vehicles.

    python benchmarks/fleet_soak.py [--vehicles 2000] [--minutes 10] [--interval 5]
        [--database sqlite|postgresql+psycopg://...] [--probe]

Runs the real server (`python -m warroom serve`, OsmAnd/GT06/Teltonika/H02 listeners) and
`warroom fleet simulate` in another process; samples the server's resident memory every 10 s.
"Flat" means the last minute's average is within `FLAT_TOLERANCE` of the second minute's (the
first minute is warm-up: caches, pools, the device directory); the slope from minute 2 on
(MB per minute) shows whether memory is still rising at the end. Prints one JSON object;
with `--probe` the server runs under `memory_probe.py` and the object also says how each part
of the memory (SQLite, glibc's heap in use and free-but-kept, Python's blocks) changed from
the second minute to the last, and each part's mean minute by minute.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from warroom.bench import free_port
from warroom.core import migrate
from warroom.core.db import Database

SECRET = "benchmark-secret-0123456789"  # noqa: S105 - a throwaway benchmark server
SAMPLE_SECONDS = 10.0
PROTOCOLS = ("osmand", "gt06", "teltonika", "h02")
FLAT_TOLERANCE = 0.03  # the "memory flat": within 3 %, either way


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def stored(url: str) -> int:
    from sqlalchemy import func, select

    from warroom.fleet.models import Position

    db = Database(url)
    with db.read() as session:
        count = int(session.scalar(select(func.count()).select_from(Position)) or 0)
    db.dispose()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="sqlite")
    parser.add_argument("--vehicles", type=int, default=2000)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--probe", action="store_true", help="sample where the memory is")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'soak.db'}" if args.database == "sqlite" else args.database
        migrate.upgrade(Database(url))
        ports = {name: free_port() for name in PROTOCOLS}
        listeners = ",".join(f"{name}:{port}" for name, port in ports.items())
        env = {
            **os.environ, "WARROOM_SECRET_KEY": SECRET, "WARROOM_DATABASE_URL": url,
            "WARROOM_DATA_DIR": tmp, "WARROOM_PORT": str(free_port()),
            "WARROOM_LOG_LEVEL": "WARNING", "WARROOM_FLEET_LISTENERS": listeners,
            "WARROOM_FLEET_BIND_HOST": "127.0.0.1", "WARROOM_FLEET_UDP": "false",
        }  # fmt: skip
        probe_file = Path(tmp) / "probe.jsonl"
        command = (
            [sys.executable, str(Path(__file__).with_name("memory_probe.py")), str(probe_file)]
            if args.probe
            else [sys.executable, "-m", "warroom", "serve"]
        )
        server = subprocess.Popen(command, env=env)
        simulate = (
            "from warroom.fleet.simulate_cli import simulate; "
            f"simulate(vehicles={args.vehicles}, host='127.0.0.1', interval={args.interval}, "
            f"duration={args.minutes * 60 + 30}, register=True, demo=False)"
        )
        time.sleep(5)
        sim = subprocess.Popen([sys.executable, "-c", simulate], env=env)
        samples: list[tuple[float, float]] = []
        started = time.monotonic()
        try:
            while time.monotonic() - started < args.minutes * 60:
                time.sleep(SAMPLE_SECONDS)
                samples.append((time.monotonic() - started, rss_mb(server.pid)))
        finally:
            sim.terminate()
            sim.wait(timeout=60)
            positions = stored(url)
            server.terminate()
            server.wait(timeout=30)
            probes = (
                [json.loads(line) for line in probe_file.read_text().splitlines()]
                if args.probe
                else []
            )
    per_minute = int(60 / SAMPLE_SECONDS)
    second_minute, last_minute = minute_2_and_last([mb for _, mb in samples])
    growth = last_minute / second_minute
    print(
        json.dumps(
            {
                "benchmark": "fleet_soak",
                "database": url.split(":")[0],
                "vehicles": args.vehicles,
                "minutes": args.minutes,
                "positions_stored": positions,
                "baseline_rss_mb_second_minute": round(second_minute, 1),
                "rss_mb_last_minute": round(last_minute, 1),
                "growth_ratio": round(growth, 3),
                "flat": abs(growth - 1) <= FLAT_TOLERANCE,
                "rss_mb_per_minute_from_minute_2": slope(samples[per_minute:]),
                "rss_mb_samples": [round(mb, 1) for _, mb in samples],
                **(
                    {
                        "probe_change_from_minute_2": probe_change(probes),
                        "probe_minute_means": minute_means(probes),
                    }
                    if probes
                    else {}
                ),
            }
        )
    )


def minute_2_and_last(values: list[float]) -> tuple[float, float]:
    """Means of the samples of the second minute (all of them in a shorter run) and of the
    last minute."""
    per_minute = int(60 / SAMPLE_SECONDS)
    second = values[per_minute : 2 * per_minute] or values
    return statistics.mean(second), statistics.mean(values[-per_minute:])


def probe_change(probes: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Each probed figure: its mean over the second minute and over the last."""
    change = {}
    for name in probes[0].keys() - {"seconds"}:
        second, last = minute_2_and_last([p[name] for p in probes])
        change[name] = {"minute_2": round(second, 1), "last_minute": round(last, 1)}
    return change


def minute_means(probes: list[dict[str, float]]) -> dict[str, list[float]]:
    """Each probed figure's mean minute by minute: where in the run it grew."""
    per_minute = int(60 / SAMPLE_SECONDS)
    minutes = [probes[at : at + per_minute] for at in range(0, len(probes), per_minute)]
    return {
        name: [round(statistics.mean(p[name] for p in minute), 1) for minute in minutes]
        for name in sorted(probes[0].keys() - {"seconds"})
    }


def slope(samples: list[tuple[float, float]]) -> float | None:
    """Least-squares MB per minute over (seconds, MB) samples."""
    if len(samples) < 2:
        return None
    seconds, mb = zip(*samples, strict=True)
    return round(statistics.linear_regression(seconds, mb).slope * 60, 2)


if __name__ == "__main__":
    main()
