"""The recording index: segments (bulk Core inserts), gaps, camera status and event holds.

Called by the recorder and the retention sweep; functions take the caller's session and never
commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session

from warroom.cameras.events import CameraEventMarked, CameraStatusChanged
from warroom.cameras.models import Camera, CameraEvent, CameraGroup, RecordingGap, Segment
from warroom.cameras.schemas import EventCreate, Span, Timeline
from warroom.core import audit, outbox
from warroom.core.clock import utcnow

SPAN_JOIN_SECONDS = 1.5  # segments closer than this play as one span on the timeline
DEFAULT_EVENT_DAYS = 365.0


@dataclass(frozen=True)
class NewSegment:
    camera_id: int
    tier: str
    start_at: datetime
    end_at: datetime
    bytes: int
    path: str


def add_segments(session: Session, segments: list[NewSegment]) -> None:
    """Index finished segments in one batched insert; closes the cameras' open gaps and gives
    segments that fall inside marked events the events' holds."""
    if not segments:
        return
    rows = [{**s.__dict__, "keep_until": None, "protected": False} for s in segments]
    if _events_overlap(session, segments):
        for row in rows:
            _apply_holds(session, row)
    session.execute(insert(Segment), rows)
    _close_gaps(session, segments)


def _close_gaps(session: Session, segments: list[NewSegment]) -> None:
    """An open gap ends where the camera's first new segment starts: one batched UPDATE (no
    gap open, the usual case, matches no row)."""
    first: dict[int, datetime] = {}
    for s in segments:
        first[s.camera_id] = min(first.get(s.camera_id, s.start_at), s.start_at)
    gaps = cast(Table, RecordingGap.__table__)
    session.connection().execute(
        update(gaps)
        .where(gaps.c.camera_id == bindparam("camera"), gaps.c.end_at.is_(None))
        .values(end_at=bindparam("first_start")),
        [{"camera": camera, "first_start": start} for camera, start in first.items()],
    )


def _events_overlap(session: Session, segments: list[NewSegment]) -> bool:
    """One cheap query for the whole batch; the per-segment hold lookup runs only when needed."""
    found = session.scalar(
        select(CameraEvent.id)
        .where(
            CameraEvent.camera_id.in_({s.camera_id for s in segments}),
            CameraEvent.start_at < max(s.end_at for s in segments),
            CameraEvent.end_at > min(s.start_at for s in segments),
        )
        .limit(1)
    )
    return found is not None


def _apply_holds(session: Session, row: dict[str, Any]) -> None:
    events = session.execute(
        select(CameraEvent.end_at, CameraEvent.protected, CameraGroup.event_days)
        .join(Camera, Camera.id == CameraEvent.camera_id)
        .outerjoin(CameraGroup, CameraGroup.id == Camera.group_id)
        .where(
            CameraEvent.camera_id == row["camera_id"],
            CameraEvent.start_at < row["end_at"],
            CameraEvent.end_at > row["start_at"],
        )
    ).all()
    for end_at, protected, event_days in events:
        keep = end_at + timedelta(days=event_days if event_days is not None else DEFAULT_EVENT_DAYS)
        row["keep_until"] = max(row["keep_until"] or keep, keep)
        row["protected"] = row["protected"] or protected


def open_gap(session: Session, *, camera_id: int, at: datetime, reason: str) -> None:
    """Start a gap unless one is open already (a camera that keeps failing is one gap)."""
    is_open = session.scalar(
        select(RecordingGap.id).where(
            RecordingGap.camera_id == camera_id, RecordingGap.end_at.is_(None)
        )
    )
    if is_open is None:
        session.add(RecordingGap(camera_id=camera_id, start_at=at, end_at=None, reason=reason))


def last_segment_end(session: Session, *, camera_id: int) -> datetime | None:
    return session.scalar(select(func.max(Segment.end_at)).where(Segment.camera_id == camera_id))


def store_health(session: Session, *, figures: dict[int, dict[str, Any]]) -> None:
    """Store several cameras' health figures in one batched UPDATE."""
    if not figures:
        return
    cameras = cast(Table, Camera.__table__)
    session.connection().execute(
        update(cameras).where(cameras.c.id == bindparam("camera")).values(health=bindparam("h")),
        [{"camera": camera, "h": health} for camera, health in figures.items()],
    )


def set_status(
    session: Session, *, camera_id: int, status: str, detail: str, health: dict[str, Any]
) -> bool:
    """Store the camera's health; publish an event only when the status itself changes."""
    camera = session.get(Camera, camera_id)
    if camera is None:
        return False
    camera.health = health
    if camera.status == status and camera.status_detail == detail:
        return False
    previous = camera.status
    camera.status, camera.status_detail, camera.status_at = status, detail[:300], utcnow()
    if previous == status:
        return False
    outbox.enqueue(
        session,
        CameraStatusChanged(
            camera_id=camera.id,
            name=camera.name,
            status=status,
            previous=previous,
            detail=camera.status_detail,
            agency_code=camera.agency_code,
        ),
    )
    return True


def mark_event(
    session: Session, *, camera: Camera, data: EventCreate, actor: audit.Actor
) -> CameraEvent:
    """Mark a time range: its video is kept ``event_days`` past the event, for ever when
    protected (evidence) until released."""
    group = session.get(CameraGroup, camera.group_id) if camera.group_id else None
    days = group.event_days if group else DEFAULT_EVENT_DAYS
    event = CameraEvent(
        camera_id=camera.id,
        start_at=data.start_at,
        end_at=data.end_at,
        label=data.label,
        protected=data.protected,
        created_by=actor.label,
    )
    session.add(event)
    session.flush()
    overlapping = (
        Segment.camera_id == camera.id,
        Segment.start_at < data.end_at,
        Segment.end_at > data.start_at,
    )
    keep = data.end_at + timedelta(days=days)
    session.execute(
        update(Segment)
        .where(*overlapping, or_(Segment.keep_until.is_(None), Segment.keep_until < keep))
        .values(keep_until=keep)
    )
    if data.protected:
        session.execute(update(Segment).where(*overlapping).values(protected=True))
    audit.record(
        session,
        actor=actor,
        action="camera.event_marked",
        target_type="camera",
        target_id=camera.id,
        detail={"event": event.id, "label": data.label, "protected": data.protected},
    )
    outbox.enqueue(
        session,
        CameraEventMarked(
            camera_id=camera.id,
            mark_id=event.id,
            label=data.label,
            protected=data.protected,
            agency_code=camera.agency_code,
        ),
    )
    return event


def segments_between(
    session: Session, *, camera_id: int, start_at: datetime, end_at: datetime
) -> list[Segment]:
    return list(
        session.scalars(
            select(Segment)
            .where(
                Segment.camera_id == camera_id,
                Segment.start_at < end_at,
                Segment.end_at > start_at,
            )
            .order_by(Segment.start_at)
        )
    )


def _spans(segments: list[Segment]) -> list[Span]:
    spans: list[Span] = []
    for seg in segments:
        last = spans[-1] if spans else None
        joined = (
            last is not None
            and last.tier == seg.tier
            and (seg.start_at - last.end_at).total_seconds() <= SPAN_JOIN_SECONDS
        )
        if last is not None and joined:
            last.end_at = max(last.end_at, seg.end_at)
        else:
            spans.append(Span(tier=seg.tier, start_at=seg.start_at, end_at=seg.end_at))
    return spans


def timeline(session: Session, *, camera_id: int, start_at: datetime, end_at: datetime) -> Timeline:
    from warroom.cameras.schemas import EventRead, GapRead

    gaps = session.scalars(
        select(RecordingGap)
        .where(
            RecordingGap.camera_id == camera_id,
            RecordingGap.start_at < end_at,
            or_(RecordingGap.end_at.is_(None), RecordingGap.end_at > start_at),
        )
        .order_by(RecordingGap.start_at)
    )
    events = session.scalars(
        select(CameraEvent)
        .where(
            CameraEvent.camera_id == camera_id,
            CameraEvent.start_at < end_at,
            CameraEvent.end_at > start_at,
        )
        .order_by(CameraEvent.start_at)
    )
    segments = segments_between(session, camera_id=camera_id, start_at=start_at, end_at=end_at)
    return Timeline(
        camera_id=camera_id,
        start_at=start_at,
        end_at=end_at,
        spans=_spans(segments),
        gaps=[GapRead.model_validate(g) for g in gaps],
        events=[EventRead.model_validate(e) for e in events],
    )
