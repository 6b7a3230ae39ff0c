"""Clip export: the recorded segments of a time range joined into one MP4 by stream copy, with
its SHA-256, an export row and an audit entry (the start of the chain of custody)."""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from warroom.cameras.events import ClipExported
from warroom.cameras.index import segments_between
from warroom.cameras.models import Camera, ClipExport
from warroom.cameras.schemas import ExportCreate
from warroom.core import audit, outbox
from warroom.core.errors import ConflictError, NotFoundError

EXPORT_TIMEOUT = 600


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def join_segments(ffmpeg: str, sources: list[str], target: Path) -> None:
    """Concatenate MPEG-TS segments into an MP4 without re-encoding. The clip starts and ends
    on whole segments (keyframes), so it covers at least the range asked for."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        for source in sources:
            escaped = source.replace("'", "'\\''")
            listing.write(f"file '{escaped}'\n")
    command = [
        ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "concat", "-safe", "0",
        "-i", listing.name, "-map", "0:v", "-c", "copy", "-movflags", "+faststart", "-y",
        str(target),
    ]  # fmt: skip
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv, our ffmpeg
            command, capture_output=True, timeout=EXPORT_TIMEOUT, check=False
        )
    finally:
        Path(listing.name).unlink(missing_ok=True)
    if result.returncode != 0:
        target.unlink(missing_ok=True)
        raise ConflictError(f"export failed: {result.stderr.decode(errors='replace')[-300:]}")


def export_clip(
    session: Session,
    *,
    camera: Camera,
    data: ExportCreate,
    folder: Path,
    ffmpeg: str,
    actor: audit.Actor,
) -> ClipExport:
    segments = segments_between(
        session, camera_id=camera.id, start_at=data.start_at, end_at=data.end_at
    )
    sources = [s.path for s in segments if Path(s.path).is_file()]
    if not sources:
        raise NotFoundError("no recording of this camera in that time range")
    folder.mkdir(parents=True, exist_ok=True)
    stamp = data.start_at.strftime("%Y%m%dT%H%M%SZ")
    target = folder / f"camera{camera.id}-{stamp}-{len(list(folder.iterdir()))}.mp4"
    join_segments(ffmpeg, sources, target)
    export = ClipExport(
        camera_id=camera.id,
        start_at=segments[0].start_at,
        end_at=segments[-1].end_at,
        path=str(target),
        bytes=target.stat().st_size,
        sha256=sha256_file(target),
        reason=data.reason,
        created_by=actor.label,
    )
    session.add(export)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="camera.clip_exported",
        target_type="camera",
        target_id=camera.id,
        detail={
            "export": export.id,
            "start": export.start_at.isoformat(),
            "end": export.end_at.isoformat(),
            "sha256": export.sha256,
            "bytes": export.bytes,
            "reason": data.reason,
        },
    )
    outbox.enqueue(
        session,
        ClipExported(
            camera_id=camera.id,
            export_id=export.id,
            sha256=export.sha256,
            agency_code=camera.agency_code,
        ),
    )
    return export
