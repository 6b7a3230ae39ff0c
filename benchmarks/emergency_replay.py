"""Benchmark: replay of a simulated busy day (2,000 calls) at 100x speed, through the real
services (call intake, incidents, recommendation by road, assignment, GPS arrival, resolve),
reporting the response-time KPIs the day produced.

The simulation clock advances ``--speed`` simulated seconds per real second; the report says
how far behind the schedule the replay fell (lag), i.e. whether the services kept up. Baseline
in the same run: the share of the wall time spent idle.

    .venv/bin/python benchmarks/emergency_replay.py [--calls 2000] [--hours 24] [--speed 100]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from datetime import timedelta

from emergency_common import fresh_database

from warroom.core.clock import utcnow
from warroom.emergency import kpi
from warroom.emergency.config import EmergencyConfig
from warroom.emergency.simulation import Simulation
from warroom.geo.network import get_router


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--hours", type=float, default=24)
    parser.add_argument("--speed", type=float, default=100)
    args = parser.parse_args()
    db = fresh_database()
    router = get_router()
    router.warm_up()
    sim = Simulation(db, router, calls_per_hour=args.calls / args.hours)
    start_sim = utcnow().replace(microsecond=0) - timedelta(hours=args.hours)
    sim.seed_units(start_sim)
    sim.start(start_sim)
    wall_start, busy, max_lag = time.perf_counter(), 0.0, 0.0
    end = start_sim + timedelta(hours=args.hours)
    step = 1.0  # real seconds between steps
    now = start_sim
    while now < end:
        due = wall_start + (now - start_sim).total_seconds() / args.speed
        max_lag = max(max_lag, time.perf_counter() - due)
        began = time.perf_counter()
        sim.run_until(now)
        busy += time.perf_counter() - began
        now += timedelta(seconds=step * args.speed)
        time.sleep(
            max(
                0.0,
                wall_start + (now - start_sim).total_seconds() / args.speed - time.perf_counter(),
            )
        )
    wall = time.perf_counter() - wall_start
    with db.read() as session:
        report = kpi.report(session, since=start_sim, until=end, config=EmergencyConfig())
    print(
        json.dumps(
            {
                "benchmark": "emergency_replay",
                "simulated_hours": args.hours,
                "speed": args.speed,
                "wall_s": round(wall, 1),
                "busy_share": round(busy / wall, 3),
                "baseline_idle_share": round(1 - busy / wall, 3),
                "max_lag_s": round(max_lag, 2),
                "stats": {k: v for k, v in vars(sim.stats).items() if k != "errors"},
                "errors": dict(Counter(sim.stats.errors)),  # what was refused, and how often
                "kpi": report.model_dump(mode="json"),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
