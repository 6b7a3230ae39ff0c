"""Transactional outbox: events are stored in the same transaction as the change that caused
them, then relayed to the bus. A crash between commit and publish loses nothing: the relay sends
what is still unpublished when it starts again (at-least-once; consumers dedupe by event_id).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import BigInteger, Integer, String, Table, Text, delete, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column
from starlette.concurrency import run_in_threadpool

from warroom.core.bus.base import Bus
from warroom.core.bus.events import Event, event_from_json
from warroom.core.clock import utcnow
from warroom.core.db import Base, Database, UtcDateTime, padded_in_list

log = logging.getLogger("warroom.outbox")


class OutboxMessage(Base):
    __tablename__ = "event_outbox"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    topic: Mapped[str] = mapped_column(String(120))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)


_TABLE = cast(Table, OutboxMessage.__table__)


def enqueue(session: Session, event: Event) -> None:
    """Store ``event`` for publishing once the caller's transaction commits.

    The row goes in at once with a Core INSERT (about half the CPU of flushing an ORM object,
    on every change that publishes an event), so events keep the order they were enqueued in.
    """
    session.execute(
        insert(_TABLE),
        {"topic": event.topic, "payload": event.to_json().decode(), "created_at": utcnow()},
    )


class OutboxRelay:
    """Publishes stored events in order. Wake it with ``notify()`` after a commit for low
    latency; it also polls, so events committed by other processes are relayed too.

    A round (read the pending rows, publish, mark them published) costs about 2 ms of CPU
    however few rows it carries, so rounds start at most every ``min_gap_seconds``: after a
    quiet spell the first event goes out at once, while under a stream of commits (200 new
    incidents a second) one round carries all the events of the gap instead of one each.
    """

    # Published rows are kept a week (the feed replays the newest, operators may look back),
    # then purged so the table does not grow for the life of the installation.
    KEEP_PUBLISHED = timedelta(days=7)
    PURGE_EVERY_SECONDS = 3600.0

    def __init__(
        self,
        db: Database,
        bus: Bus,
        *,
        poll_seconds: float = 1.0,
        batch: int = 200,
        min_gap_seconds: float = 0.05,
    ):
        self._db, self._bus = db, bus
        self._poll, self._batch, self._min_gap = poll_seconds, batch, min_gap_seconds
        self._next_purge = 0.0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def notify(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        """Finish the batch in flight (cancelling it would send it twice), relay what is left,
        then return: a graceful stop leaves nothing behind."""
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        await self._task

    async def _run(self) -> None:
        while not self._stopping:
            started = time.monotonic()
            try:
                await self.relay_pending()
                await self._purge_when_due()
            except Exception:
                log.exception("outbox relay failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll)
            if not self._stopping:
                await asyncio.sleep(started + self._min_gap - time.monotonic())
            # Cleared only now: every notify() so far came after its commit, so this round's
            # read sees those rows; later ones set the flag again for the next round.
            self._wake.clear()
        try:
            await self.relay_pending()
        except Exception:  # the rows stay unpublished; the next start sends them
            log.exception("outbox relay could not flush at shutdown")

    async def relay_pending(self) -> int:
        sent = 0
        while True:
            rows = await run_in_threadpool(self._claim_batch)
            for _row_id, payload in rows:
                await self._bus.publish(event_from_json(payload))
            if rows:
                await run_in_threadpool(self._mark_published, [row_id for row_id, _ in rows])
            sent += len(rows)
            if len(rows) < self._batch:  # drained; rows committed since come with a notify
                return sent

    async def _purge_when_due(self) -> None:
        now = time.monotonic()
        if now < self._next_purge:
            return
        self._next_purge = now + self.PURGE_EVERY_SECONDS
        purged = await run_in_threadpool(purge_published, self._db, older_than=self.KEEP_PUBLISHED)
        if purged:
            log.info("purged published outbox rows", extra={"rows": purged})

    # Core statements on the table: the ORM's statement handling cost more than the queries.
    def _claim_batch(self) -> list[tuple[int, str]]:
        with self._db.read() as session:
            query = (
                select(_TABLE.c.id, _TABLE.c.payload)
                .where(_TABLE.c.published_at.is_(None))
                .order_by(_TABLE.c.id)
                .limit(self._batch)
            )
            return [(row.id, row.payload) for row in session.execute(query)]

    def _mark_published(self, ids: list[int]) -> None:
        with self._db.write() as session:
            session.execute(
                update(_TABLE)
                .where(_TABLE.c.id.in_(padded_in_list(ids)))
                .values(published_at=utcnow())
            )


def recent_events(db: Database, *, limit: int) -> list[Event]:
    """The newest ``limit`` events, oldest first (what a screen that just connected missed).

    Rows whose topic no loaded event class knows (say, of a domain not installed here) are
    skipped rather than failing the whole list.
    """
    with db.read() as session:
        payloads = session.scalars(
            select(OutboxMessage.payload).order_by(OutboxMessage.id.desc()).limit(limit)
        ).all()
    events = []
    for payload in reversed(payloads):
        try:
            events.append(event_from_json(payload))
        except ValueError:
            log.warning("skipping an outbox row with an unknown or bad event")
    return events


def purge_published(db: Database, *, older_than: timedelta) -> int:
    with db.write() as session:
        result = session.execute(
            delete(OutboxMessage).where(OutboxMessage.published_at < utcnow() - older_than)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
