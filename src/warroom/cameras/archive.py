"""The archive tier: full video past its group's ``hot_days`` is rewritten keyframes-only (stream
copy with the ``noise`` bitstream filter dropping every non-key frame: no decoding, about a tenth
of the size) and moved to the archive folder; the hot copy is then deleted."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import and_, delete, insert, or_, select
from sqlalchemy.orm import Session

from warroom.cameras.models import Camera, CameraGroup, Segment

BATCH = 200


@dataclass(frozen=True)
class ArchiveJob:
    segment_id: int
    source: Path
    target: Path


def keyframes_only(ffmpeg: str, source: Path, target: Path) -> bool:
    target.parent.mkdir(parents=True, exist_ok=True)
    command = [
        ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(source), "-map",
        "0:v", "-c", "copy", "-bsf:v", "noise=drop=not(key)", "-f", "mpegts", "-y", str(target),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, timeout=120, check=False)  # noqa: S603
    return result.returncode == 0 and target.is_file()


def due(session: Session, *, now: datetime, hot_root: Path, archive_root: Path) -> list[ArchiveJob]:
    """Hot segments past their group's hot days, free of holds, in groups with an archive."""
    rows = session.execute(
        select(Segment.id, Segment.path, CameraGroup.hot_days, Segment.end_at)
        .join(Camera, Camera.id == Segment.camera_id)
        .join(CameraGroup, CameraGroup.id == Camera.group_id)
        .where(
            Segment.tier == "hot",
            CameraGroup.archive_days > 0,
            Segment.protected.is_(False),
            or_(Segment.keep_until.is_(None), Segment.keep_until < now),
        )
        .order_by(Segment.start_at)
        .limit(BATCH * 10)
    ).all()
    jobs = []
    for seg_id, path, hot_days, end_at in rows:
        if end_at >= now - timedelta(days=hot_days):
            continue
        source = Path(path)
        try:
            relative = source.relative_to(hot_root)
        except ValueError:
            relative = Path(source.name)
        jobs.append(ArchiveJob(seg_id, source, archive_root / relative))
        if len(jobs) >= BATCH:
            break
    return jobs


def swap(session: Session, *, job: ArchiveJob) -> None:
    """Replace the hot segment's row by its archive copy (same times, holds carried over)."""
    segment = session.get(Segment, job.segment_id)
    if segment is None:
        return
    session.execute(
        insert(Segment).values(
            camera_id=segment.camera_id,
            tier="archive",
            start_at=segment.start_at,
            end_at=segment.end_at,
            bytes=job.target.stat().st_size,
            path=str(job.target),
            keep_until=segment.keep_until,
            protected=segment.protected,
        )
    )
    session.execute(delete(Segment).where(and_(Segment.id == job.segment_id)))
