"""Retention sweep over 1,000,000 indexed segments (target: under 10 s).

128 cameras with 5.4 days of 1-minute segments each; their group keeps full video 3 days and has
no archive, so about 45% expire by age; the hot tier's budget is then set to 60% of what is left,
so the sweep also deletes oldest-first by budget. 1% of segments are protected evidence and 2% are
held by events. Every indexed segment has a real (empty) file in per-camera, per-day folders laid
out as the recorder writes them, and the sweep runs as the cameras runtime runs it: rows deleted,
removal journal written and synced, commit, files unlinked. Baseline in the same run: one full
scan of the index (count and bytes). The PostgreSQL database given must be empty.

    .venv/bin/python benchmarks/cameras_retention.py [--segments 1000000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from warroom.cameras import retention
from warroom.cameras.models import Camera, CameraGroup, Segment
from warroom.cameras.removals import RemovalJournal
from warroom.core import migrate
from warroom.core.clock import utcnow
from warroom.core.db import Database

CAMERAS = 128
SEGMENT = timedelta(minutes=1)
BYTES = 7_500_000  # one minute at 1 Mb/s


def fill(db: Database, total: int, root: Path) -> None:
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
                "bytes": BYTES, "path": segment_file(root, camera, start, k),
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


def segment_file(root: Path, camera: int, start: datetime, k: int) -> str:
    """An empty file where the recorder would have put the segment."""
    folder = root / f"camera-{camera}" / start.strftime("%Y-%m-%d")
    if not folder.is_dir():
        folder.mkdir(parents=True)
    path = str(folder / f"{start:%H%M%S%f}-{k:06d}.ts")
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o644))
    return path


def timed_sweep(
    db: Database, journal: RemovalJournal, now: datetime, budget: int
) -> tuple[retention.SweepResult, dict[str, float]]:
    """What CamerasRuntime.run_retention does, timed by part (wall and this process's CPU)."""
    marks = [(time.perf_counter(), time.process_time())]
    pending = None
    with db.write() as session:
        result = retention.sweep(session, now=now, budgets={"hot": budget, "archive": 0})
        marks.append((time.perf_counter(), time.process_time()))
        if result.deleted:
            pending = journal.record(result.ids, result.paths)
        marks.append((time.perf_counter(), time.process_time()))
    marks.append((time.perf_counter(), time.process_time()))  # committed
    if pending is not None:
        journal.finish(pending, result.paths)
    marks.append((time.perf_counter(), time.process_time()))
    parts = ("delete_rows", "journal", "commit", "unlink_files")
    timings = {f"{name}_seconds": marks[i + 1][0] - marks[i][0] for i, name in enumerate(parts)}
    timings["total_seconds"] = marks[-1][0] - marks[0][0]
    timings["total_cpu_seconds"] = marks[-1][1] - marks[0][1]
    return result, {k: round(v, 3) for k, v in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--segments", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="warroom-retention-"))
    url = args.database_url or f"sqlite:///{work / 'retention.db'}"
    db = Database(url)
    migrate.upgrade(db)
    started = time.perf_counter()
    fill(db, args.segments, work / "hot")
    fill_seconds = time.perf_counter() - started

    started = time.perf_counter()
    with db.read() as session:
        count, used = session.execute(select(func.count(Segment.id), func.sum(Segment.bytes))).one()
    scan_seconds = time.perf_counter() - started

    budget = int(int(used) * 0.55 * 0.6)  # 60% of what survives the age limit
    journal = RemovalJournal(work / "hot")
    result, worst = timed_sweep(db, journal, utcnow(), budget)
    # Steady state: the scheduled sweep 10 minutes later (newly expired segments only).
    later, steady = timed_sweep(db, journal, utcnow() + timedelta(minutes=10), budget)
    with db.read() as session:
        left, protected = session.execute(
            select(func.count(Segment.id), func.count(Segment.id).filter(Segment.protected))
        ).one()
    files_left = sum(len(files) for _, _, files in os.walk(work / "hot"))
    print(
        json.dumps(
            {
                "database": db.engine.dialect.name,
                "segments_indexed": count,
                "fill_seconds": round(fill_seconds, 1),
                "deleted_segments": result.deleted,
                "remaining_segments": left,
                "protected_remaining": protected,
                "files_left_on_disk": files_left,
                "worst_case": worst,
                "target_seconds": 10,
                "steady_state_deleted": later.deleted,
                "steady_state": steady,
                "baseline_full_scan_seconds": round(scan_seconds, 3),
                "ratio_sweep_to_scan": round(worst["total_seconds"] / scan_seconds, 2),
                "load_average_1min_at_end": round(os.getloadavg()[0], 2),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
