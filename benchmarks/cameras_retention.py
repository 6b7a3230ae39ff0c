"""Retention sweep over 1,000,000 indexed segments (target: under 10 s).

128 cameras with 5.4 days of 1-minute segments each; their group keeps full video 3 days and has
no archive, so about 45% expire by age; the hot tier's budget is then set to 60% of what is left,
so the sweep also deletes oldest-first by budget. 1% of segments are protected evidence and 2% are
held by events. Baseline in the same run: one full scan of the index (count and bytes).

    .venv/bin/python benchmarks/cameras_retention.py [--segments 1000000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from warroom.cameras import retention
from warroom.cameras.models import Camera, CameraGroup, Segment
from warroom.core import migrate
from warroom.core.clock import utcnow
from warroom.core.db import Database

CAMERAS = 128
SEGMENT = timedelta(minutes=1)
BYTES = 7_500_000  # one minute at 1 Mb/s


def fill(db: Database, total: int) -> None:
    now = utcnow()
    per_camera = total // CAMERAS
    with db.write() as session:
        group = CameraGroup(name="bench", hot_days=3, event_days=30, archive_days=0)
        session.add(group)
        session.flush()
        for i in range(1, CAMERAS + 1):
            session.add(
                Camera(
                    id=i,
                    name=f"cam-{i}",
                    main_url="rtsp://x",
                    group_id=group.id,
                    tags=[],
                    health={},
                )
            )
    rows: list[dict[str, Any]] = []
    for n in range(per_camera * CAMERAS):
        camera, k = n % CAMERAS + 1, n // CAMERAS
        start = now - SEGMENT * (per_camera - k)
        rows.append(
            {
                "camera_id": camera, "tier": "hot", "start_at": start, "end_at": start + SEGMENT,
                "bytes": BYTES, "path": f"/nonexistent/{camera}/{k}.ts",
                "protected": n % 100 == 0,
                "keep_until": now + timedelta(days=20) if n % 50 == 1 else None,
            }
        )  # fmt: skip
        if len(rows) == 50_000:
            with db.write() as session:
                session.execute(insert(Segment), rows)
            rows = []
    if rows:
        with db.write() as session:
            session.execute(insert(Segment), rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--segments", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'retention.db'}"
    db = Database(url)
    migrate.upgrade(db)
    started = time.perf_counter()
    fill(db, args.segments)
    fill_seconds = time.perf_counter() - started

    started = time.perf_counter()
    with db.read() as session:
        count, used = session.execute(select(func.count(Segment.id), func.sum(Segment.bytes))).one()
    scan_seconds = time.perf_counter() - started

    budget = int(used * 0.55 * 0.6)  # 60% of what survives the age limit
    started = time.perf_counter()
    with db.write() as session:
        result = retention.sweep(session, now=utcnow(), budgets={"hot": budget, "archive": 0})
    sweep_seconds = time.perf_counter() - started
    started = time.perf_counter()
    retention.unlink_all(result.paths)  # what the runtime does after commit (files absent)
    unlink_seconds = time.perf_counter() - started
    # Steady state: the scheduled sweep 10 minutes later (about 1,300 newly expired segments).
    started = time.perf_counter()
    with db.write() as session:
        later = retention.sweep(
            session, now=utcnow() + timedelta(minutes=10), budgets={"hot": budget, "archive": 0}
        )
    retention.unlink_all(later.paths)
    steady_seconds = time.perf_counter() - started
    with db.read() as session:
        left, protected = session.execute(
            select(func.count(Segment.id), func.count(Segment.id).filter(Segment.protected))
        ).one()
    total = sweep_seconds + unlink_seconds
    print(
        json.dumps(
            {
                "database": db.engine.dialect.name,
                "segments_indexed": count,
                "fill_seconds": round(fill_seconds, 1),
                "deleted_segments": result.deleted,
                "remaining_segments": left,
                "protected_remaining": protected,
                "sweep_index_seconds": round(sweep_seconds, 3),
                "unlink_seconds": round(unlink_seconds, 3),
                "sweep_total_seconds": round(total, 3),
                "target_seconds": 10,
                "steady_state_sweep_seconds": round(steady_seconds, 3),
                "steady_state_deleted": later.deleted,
                "baseline_full_scan_seconds": round(scan_seconds, 3),
                "ratio_sweep_to_scan": round(total / scan_seconds, 2),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
