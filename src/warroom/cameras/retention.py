"""Tiered retention: age limits per camera group, disk budgets per tier (oldest first), event
holds, and protected evidence that no sweep ever deletes. Plus the storage forecast.

The sweep works on the index with set-based SQL and hands back the rows it deleted; the caller
removes their files only after the transaction committed, so the index never points at a file
that is gone. A crash between commit and unlink is covered by the removal journal (see
removals.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import ColumnElement, Table, and_, case, delete, func, or_, select, text
from sqlalchemy.orm import Session

from warroom.cameras.models import Camera, CameraGroup, Segment
from warroom.cameras.schemas import GroupCreate, TierForecast

TIERS = ("hot", "archive")
SEGMENTS = cast(Table, Segment.__table__)
DEFAULTS = GroupCreate(name="default")  # policy of cameras outside any group
CAMERA_CHUNK = 500  # camera ids per IN list
# SQLite's default page cache (2 MB) is far smaller than the index pages a large sweep dirties,
# so deleted rows' pages spilled and were rewritten: a bigger cache for the sweep halves its time.
SWEEP_CACHE_KIB = 65536


@dataclass
class SweepResult:
    ids: list[int] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    freed_bytes: int = 0

    @property
    def deleted(self) -> int:
        return len(self.paths)


def _released(now: datetime) -> ColumnElement[bool]:
    """Neither evidence nor inside an event's hold any more."""
    return and_(
        Segment.protected.is_(False), or_(Segment.keep_until.is_(None), Segment.keep_until < now)
    )


def _policies(session: Session) -> list[tuple[GroupCreate, list[int]]]:
    """Each retention policy with the ids of the cameras it governs."""
    by_group: dict[int | None, list[int]] = {}
    for camera_id, group_id in session.execute(select(Camera.id, Camera.group_id)):
        by_group.setdefault(group_id, []).append(camera_id)
    groups = {g.id: g for g in session.scalars(select(CameraGroup))}
    policies = []
    for group_id, camera_ids in by_group.items():
        group = groups.get(group_id) if group_id is not None else None
        policy = GroupCreate.model_validate(group, from_attributes=True) if group else DEFAULTS
        policies.append((policy, camera_ids))
    return policies


def _delete_returning(session: Session, *conditions: ColumnElement[bool], out: SweepResult) -> None:
    """One set-based DELETE ... RETURNING (SQLite >= 3.35 and PostgreSQL). A Core statement on
    the connection: the ORM's result rows cost more than the delete for large sweeps."""
    result = session.connection().execute(
        delete(SEGMENTS)
        .where(*conditions)
        .returning(SEGMENTS.c.id, SEGMENTS.c.bytes, SEGMENTS.c.path)
    )
    rows = result.all()
    out.ids.extend([row[0] for row in rows])
    out.freed_bytes += sum([row[1] for row in rows])
    out.paths.extend([row[2] for row in rows])


def _expire_by_age(session: Session, now: datetime, out: SweepResult) -> None:
    for policy, camera_ids in _policies(session):
        limits = {"archive": policy.archive_days}
        if policy.archive_days == 0:
            # No archive tier: full video simply ends its life after hot_days. With an archive,
            # the archiver moves it instead (see archive.py), so the sweep leaves it alone.
            limits["hot"] = policy.hot_days
        for tier, days in limits.items():
            cutoff = now - timedelta(days=days)
            for start in range(0, len(camera_ids), CAMERA_CHUNK):
                _delete_returning(
                    session,
                    Segment.camera_id.in_(camera_ids[start : start + CAMERA_CHUNK]),
                    Segment.tier == tier,
                    # implied by end_at < cutoff (a segment ends after it starts); lets the
                    # (tier, start_at) index bound the scan instead of reading the whole tier
                    Segment.start_at < cutoff,
                    Segment.end_at < cutoff,
                    _released(now),
                    out=out,
                )


def _tier_bytes(session: Session, tier: str) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(Segment.bytes), 0)).where(Segment.tier == tier)
    )
    return int(total or 0)


def _trim_oldest(
    session: Session, candidates: ColumnElement[bool], excess: int, out: SweepResult
) -> int:
    """Delete the oldest candidates whose bytes add up to ``excess``; returns what is left over.

    A running sum (window function, both backends) finds the last segment to delete, then one
    DELETE removes everything up to it in (start, id) order.
    """
    running = (
        select(
            Segment.start_at,
            Segment.id,
            func.sum(Segment.bytes).over(order_by=(Segment.start_at, Segment.id)).label("run"),
        )
        .where(candidates)
        .subquery()
    )
    cut = session.execute(
        select(running.c.start_at, running.c.id)
        .where(running.c.run >= excess)
        .order_by(running.c.start_at, running.c.id)
        .limit(1)
    ).first()
    before = out.freed_bytes
    if cut is None:  # not enough: delete every candidate
        _delete_returning(session, candidates, out=out)
    else:
        up_to_cut = or_(
            Segment.start_at < cut[0], and_(Segment.start_at == cut[0], Segment.id <= cut[1])
        )
        _delete_returning(session, candidates, up_to_cut, out=out)
    return excess - (out.freed_bytes - before)


def _enforce_budget(
    session: Session, tier: str, budget: int, now: datetime, out: SweepResult
) -> None:
    """Delete the oldest unprotected segments until the tier fits its budget; segments held by
    events go only after every unheld one; protected evidence never (the budget may then stay
    exceeded, which the forecast shows)."""
    excess = _tier_bytes(session, tier) - budget
    if excess <= 0:
        return
    unprotected = and_(Segment.tier == tier, Segment.protected.is_(False))
    held = and_(Segment.keep_until.is_not(None), Segment.keep_until >= now)
    excess = _trim_oldest(session, and_(unprotected, ~held), excess, out)
    if excess > 0:
        _trim_oldest(session, and_(unprotected, held), excess, out)


def sweep(session: Session, *, now: datetime, budgets: dict[str, int]) -> SweepResult:
    """Apply age limits, then each tier's disk budget. Never touches protected segments."""
    result = SweepResult()
    with _roomy_cache(session):
        _expire_by_age(session, now, result)
        for tier in TIERS:
            _enforce_budget(session, tier, budgets[tier], now, result)
    return result


@contextmanager
def _roomy_cache(session: Session) -> Iterator[None]:
    """On SQLite, a larger page cache for this connection while the sweep runs."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    connection = session.connection()
    previous = connection.execute(text("PRAGMA cache_size")).scalar_one()
    connection.execute(text(f"PRAGMA cache_size=-{SWEEP_CACHE_KIB}"))
    try:
        yield
    finally:
        connection.execute(text(f"PRAGMA cache_size={int(previous)}"))


def forecast(session: Session, *, now: datetime, budgets: dict[str, int]) -> list[TierForecast]:
    """Per tier: bytes used, bytes written over the last day, and days until the budget is full
    at that rate (None when nothing is being written)."""
    since = now - timedelta(days=1)
    rows = session.execute(
        select(
            Segment.tier,
            func.sum(Segment.bytes),
            func.sum(case((Segment.start_at >= since, Segment.bytes), else_=0)),
            func.min(Segment.start_at),
        ).group_by(Segment.tier)
    ).all()
    stats = {row[0]: (int(row[1] or 0), int(row[2] or 0), row[3]) for row in rows}
    out = []
    for tier in TIERS:
        used, last_day, first = stats.get(tier, (0, 0, None))
        span_days = 1.0
        if first is not None:  # a young install has written for less than a day
            span_days = min(1.0, max((now - first).total_seconds() / 86400, 1 / 1440))
        rate = last_day / span_days
        room = max(budgets[tier] - used, 0)
        out.append(
            TierForecast(
                tier=tier,
                used_bytes=used,
                budget_bytes=budgets[tier],
                bytes_per_day=rate,
                days_until_full=room / rate if rate > 0 else None,
            )
        )
    return out
