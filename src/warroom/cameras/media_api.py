"""Watching: live HLS of the sub stream, snapshots, the recording timeline, playback of recorded
segments as an HLS playlist (no transcoding anywhere), and clip export with SHA-256."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, PlainTextResponse, Response

from warroom.cameras import export, index, live, service
from warroom.cameras.models import ClipExport, Segment
from warroom.cameras.runtime import runtime_of
from warroom.cameras.schemas import ExportCreate, ExportRead, Timeline
from warroom.core import audit
from warroom.core.clock import utcnow
from warroom.core.errors import InvalidInputError, NotFoundError
from warroom.core.http import DbDep, actor_for, notify_outbox
from warroom.core.security.guard import require
from warroom.core.security.permissions import Permission, Principal

router = APIRouter(tags=["cameras"])
Viewer = Annotated[Principal, require(Permission.CAMERAS_VIEW)]
Player = Annotated[Principal, require(Permission.CAMERAS_PLAYBACK)]
Exporter = Annotated[Principal, require(Permission.CAMERAS_EXPORT)]
HLS = "application/vnd.apple.mpegurl"
TS = "video/mp2t"
LIVE_SEGMENT = re.compile(r"seg-\d{6}\.ts")
MAX_RANGE = timedelta(days=2)


def _scope(me: Principal) -> str | None:
    return me.agency_filter()


def _range(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    end = end or utcnow()
    start = start or end - timedelta(hours=1)
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInputError("times need a zone, e.g. 2026-11-27T08:00:00+08:00")
    if not timedelta(0) < end - start <= MAX_RANGE:
        raise InvalidInputError("start must be before end, at most 2 days apart")
    return start, end


def _stream_url(request: Request, db: DbDep, camera_id: int, me: Principal) -> str:
    with db.read() as session:
        camera = service.get_camera(session, camera_id=camera_id, agency=_scope(me))
        return service.stream_url(camera, runtime_of(request.app).box, sub=True)


@router.get("/api/cameras/{camera_id}/live/index.m3u8")
def live_playlist(camera_id: int, request: Request, db: DbDep, me: Viewer) -> Response:
    """Live HLS of the camera's sub stream (stream copy); starts the packager on first use."""
    url = _stream_url(request, db, camera_id, me)
    streams = runtime_of(request.app).live
    assert streams is not None
    path = streams.playlist(camera_id, url)
    return Response(path.read_bytes(), media_type=HLS, headers={"Cache-Control": "no-store"})


@router.get("/api/cameras/{camera_id}/live/{name}")
def live_segment(camera_id: int, name: str, request: Request, db: DbDep, me: Viewer) -> Response:
    with db.read() as session:
        service.get_camera(session, camera_id=camera_id, agency=_scope(me))
    streams = runtime_of(request.app).live
    path = streams.segment(camera_id, name) if streams and LIVE_SEGMENT.fullmatch(name) else None
    if path is None:
        raise NotFoundError("no such live segment (expired?)")
    return FileResponse(path, media_type=TS)


@router.get("/api/cameras/{camera_id}/snapshot.jpg")
def snapshot(camera_id: int, request: Request, db: DbDep, me: Viewer) -> Response:
    url = _stream_url(request, db, camera_id, me)
    image = live.snapshot(runtime_of(request.app).config.ffmpeg, url)
    return Response(image, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


@router.get("/api/cameras/{camera_id}/timeline", response_model=Timeline)
def timeline(
    camera_id: int,
    db: DbDep,
    me: Player,
    start: Annotated[datetime | None, Query()] = None,
    end: Annotated[datetime | None, Query()] = None,
) -> Timeline:
    """Recorded spans, gaps (camera offline, recorder down) and marked events in a range."""
    start_at, end_at = _range(start, end)
    with db.read() as session:
        service.get_camera(session, camera_id=camera_id, agency=_scope(me))
        return index.timeline(session, camera_id=camera_id, start_at=start_at, end_at=end_at)


@router.get("/api/cameras/{camera_id}/playback.m3u8")
def playback_playlist(
    camera_id: int,
    db: DbDep,
    me: Player,
    start: Annotated[datetime | None, Query()] = None,
    end: Annotated[datetime | None, Query()] = None,
) -> PlainTextResponse:
    """An HLS VOD playlist of the recorded segments; gaps become discontinuities."""
    start_at, end_at = _range(start, end)
    with db.read() as session:
        service.get_camera(session, camera_id=camera_id, agency=_scope(me))
        segments = index.segments_between(
            session, camera_id=camera_id, start_at=start_at, end_at=end_at
        )
    if not segments:
        raise NotFoundError("no recording of this camera in that time range")
    return PlainTextResponse(playlist(camera_id, segments), media_type=HLS)


def playlist(camera_id: int, segments: list[Segment]) -> str:
    longest = max((s.end_at - s.start_at).total_seconds() for s in segments)
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{int(longest) + 1}"]
    lines += ["#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-MEDIA-SEQUENCE:0"]
    previous_end = None
    for seg in segments:
        if previous_end is not None and (seg.start_at - previous_end).total_seconds() > 1.5:
            lines.append("#EXT-X-DISCONTINUITY")
        lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{seg.start_at.isoformat(timespec='milliseconds')}")
        lines.append(f"#EXTINF:{(seg.end_at - seg.start_at).total_seconds():.3f},")
        lines.append(f"/api/cameras/{camera_id}/segments/{seg.id}.ts")
        previous_end = seg.end_at
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


@router.get("/api/cameras/{camera_id}/segments/{segment_id}.ts")
def recorded_segment(camera_id: int, segment_id: int, db: DbDep, me: Player) -> FileResponse:
    with db.read() as session:
        service.get_camera(session, camera_id=camera_id, agency=_scope(me))
        segment = session.get(Segment, segment_id)
    if segment is None or segment.camera_id != camera_id or not Path(segment.path).is_file():
        raise NotFoundError("no such recorded segment")
    return FileResponse(segment.path, media_type=TS)


@router.post("/api/cameras/{camera_id}/exports", response_model=ExportRead, status_code=201)
def create_export(
    camera_id: int, body: ExportCreate, request: Request, db: DbDep, me: Exporter
) -> ExportRead:
    """Export a time range as MP4 (stream copy, whole segments) with its SHA-256, audited."""
    runtime = runtime_of(request.app)
    folder = runtime.config.exports_dir(request.app.state.settings.data_dir)
    with db.write() as session:
        camera = service.get_camera(session, camera_id=camera_id, agency=_scope(me))
        clip = export.export_clip(
            session,
            camera=camera,
            data=body,
            folder=folder,
            ffmpeg=runtime.config.ffmpeg,
            actor=actor_for(request, me),
        )
        result = ExportRead.model_validate(clip)
    notify_outbox(request)
    return result


@router.get("/api/camera-exports/{export_id}/download")
def download_export(export_id: int, request: Request, db: DbDep, me: Exporter) -> FileResponse:
    """The exported MP4; every download is audited (chain of custody)."""
    with db.write() as session:
        clip = session.get(ClipExport, export_id)
        if clip is None:
            raise NotFoundError(f"no export with id {export_id}")
        service.get_camera(session, camera_id=clip.camera_id, agency=_scope(me))
        audit.record(
            session,
            actor=actor_for(request, me),
            action="camera.clip_downloaded",
            target_type="camera_export",
            target_id=clip.id,
            detail={"sha256": clip.sha256},
        )
        path = clip.path
    return FileResponse(path, media_type="video/mp4", filename=Path(path).name)
