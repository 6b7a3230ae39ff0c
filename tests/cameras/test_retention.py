"""Tiered retention on the index: age limits per group, event holds, protected evidence never
deleted, disk budgets oldest-first, and the storage forecast."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from tests.conftest import TEST_ACTOR
from warroom.cameras import index, retention, service
from warroom.cameras.crypto import CredentialBox
from warroom.cameras.index import NewSegment
from warroom.cameras.models import Segment
from warroom.cameras.schemas import CameraCreate, EventCreate, GroupCreate
from warroom.core.clock import utcnow
from warroom.core.db import Database

BOX = CredentialBox("test-secret-key-0123456789")
BIG = 10**15


def setup_camera(db: Database, *, hot_days: float, archive_days: float) -> int:
    with db.write() as session:
        group = service.create_group(
            session,
            data=GroupCreate(name="g", hot_days=hot_days, event_days=30, archive_days=archive_days),
            actor=TEST_ACTOR,
        )
        camera = service.create_camera(
            session,
            data=CameraCreate(name="cam", main_url="rtsp://127.0.0.1/x", group_id=group.id),
            box=BOX,
            actor=TEST_ACTOR,
        )
        return camera.id


def hourly(camera_id: int, now: datetime, hours: int, tier: str = "hot") -> list[NewSegment]:
    """One 1000-byte segment per hour, the oldest ``hours`` hours ago."""
    return [
        NewSegment(
            camera_id=camera_id,
            tier=tier,
            start_at=now - timedelta(hours=h),
            end_at=now - timedelta(hours=h) + timedelta(minutes=59),
            bytes=1000,
            path=f"/nonexistent/{tier}-{h}.ts",
        )
        for h in range(hours, 0, -1)
    ]


def remaining(db: Database) -> list[Segment]:
    with db.read() as session:
        return list(session.scalars(select(Segment).order_by(Segment.start_at)))


def test_age_limit_keeps_events_and_evidence(db: Database) -> None:
    now = utcnow()
    camera_id = setup_camera(db, hot_days=1, archive_days=0)
    with db.write() as session:
        index.add_segments(session, hourly(camera_id, now, 72))
        camera = service.get_camera(session, camera_id=camera_id)
        for hours_ago, protected in ((60, False), (50, True)):
            start = now - timedelta(hours=hours_ago, minutes=-10)
            index.mark_event(
                session,
                camera=camera,
                data=EventCreate(
                    start_at=start,
                    end_at=start + timedelta(minutes=5),
                    label="x",
                    protected=protected,
                ),
                actor=TEST_ACTOR,
            )
    with db.write() as session:
        result = retention.sweep(session, now=now, budgets={"hot": BIG, "archive": BIG})
    kept = remaining(db)
    assert result.deleted == 72 - 24 - 2
    assert len(kept) == 26
    assert sum(s.protected for s in kept) == 1
    assert all(s.end_at >= now - timedelta(days=1) or s.keep_until or s.protected for s in kept)


def test_budget_deletes_oldest_first_but_never_evidence(db: Database) -> None:
    now = utcnow()
    camera_id = setup_camera(db, hot_days=30, archive_days=1826)
    with db.write() as session:
        index.add_segments(session, hourly(camera_id, now, 10))
        camera = service.get_camera(session, camera_id=camera_id)
        oldest = now - timedelta(hours=10)
        index.mark_event(
            session,
            camera=camera,
            data=EventCreate(
                start_at=oldest, end_at=oldest + timedelta(minutes=1), label="bukti", protected=True
            ),
            actor=TEST_ACTOR,
        )
    with db.write() as session:
        result = retention.sweep(session, now=now, budgets={"hot": 4000, "archive": BIG})
    kept = remaining(db)
    assert result.freed_bytes == 6000
    assert kept[0].protected and kept[0].start_at == oldest
    assert [s.start_at for s in kept[1:]] == [now - timedelta(hours=h) for h in (3, 2, 1)]
    with db.write() as session:  # only evidence left over budget: it stays
        retention.sweep(session, now=now, budgets={"hot": 0, "archive": 0})
    assert [s.protected for s in remaining(db)] == [True]


def test_archive_tier_expires_after_its_own_days(db: Database) -> None:
    now = utcnow()
    camera_id = setup_camera(db, hot_days=1, archive_days=2)
    with db.write() as session:
        index.add_segments(session, hourly(camera_id, now, 96, tier="archive"))
        index.add_segments(session, hourly(camera_id, now, 96))
    with db.write() as session:
        retention.sweep(session, now=now, budgets={"hot": BIG, "archive": BIG})
    kept = remaining(db)
    # hot video past hot_days is left for the archiver (the group has an archive tier)
    assert sum(s.tier == "hot" for s in kept) == 96
    assert sum(s.tier == "archive" for s in kept) == 48


def test_forecast_days_until_full(db: Database) -> None:
    now = utcnow()
    camera_id = setup_camera(db, hot_days=30, archive_days=0)
    with db.write() as session:
        index.add_segments(session, hourly(camera_id, now, 48))
    with db.read() as session:
        hot, archive = retention.forecast(session, now=now, budgets={"hot": 72_000, "archive": 10})
    assert hot.used_bytes == 48_000 and hot.bytes_per_day == 24_000
    assert hot.days_until_full == 1.0
    assert archive.days_until_full is None


def test_gaps_open_and_close(db: Database) -> None:
    now = utcnow()
    camera_id = setup_camera(db, hot_days=1, archive_days=0)
    with db.write() as session:
        index.add_segments(session, hourly(camera_id, now - timedelta(hours=5), 2))
        index.open_gap(session, camera_id=camera_id, at=now - timedelta(hours=4), reason="offline")
        index.open_gap(session, camera_id=camera_id, at=now - timedelta(hours=3), reason="again")
        index.add_segments(session, hourly(camera_id, now, 2))
    with db.read() as session:
        line = index.timeline(
            session, camera_id=camera_id, start_at=now - timedelta(hours=8), end_at=now
        )
    assert len(line.gaps) == 1 and line.gaps[0].reason == "offline"
    assert line.gaps[0].end_at == now - timedelta(hours=2)
    assert len(line.spans) == 4  # hourly segments with 1-minute holes stay separate spans
