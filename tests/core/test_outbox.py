"""Events stored with a change reach the bus after commit, never before and never lost."""

from __future__ import annotations

import asyncio

from warroom.core import outbox
from warroom.core.bus import InMemoryBus
from warroom.core.bus.events import Event
from warroom.core.db import Database


class ParcelDelivered(Event):
    topic = "test.parcel_delivered"
    parcel: int


async def _collect(bus: InMemoryBus) -> list[Event]:
    seen: list[Event] = []

    async def handler(event: Event) -> None:
        seen.append(event)

    await bus.subscribe(handler, topics=[ParcelDelivered.topic])
    return seen


async def _settle(seen: list[Event], count: int) -> None:
    for _ in range(200):
        if len(seen) >= count:
            return
        await asyncio.sleep(0.01)


async def test_committed_events_are_relayed_in_order(db: Database) -> None:
    bus = InMemoryBus()
    await bus.start()
    seen = await _collect(bus)
    with db.write() as session:
        for n in range(3):
            outbox.enqueue(session, ParcelDelivered(parcel=n))
    relay = outbox.OutboxRelay(db, bus)
    assert await relay.relay_pending() == 3
    assert await relay.relay_pending() == 0, "published events are not sent twice"
    await _settle(seen, 3)
    assert [e.parcel for e in seen] == [0, 1, 2]  # type: ignore[attr-defined]
    await bus.close()


async def test_rolled_back_change_publishes_nothing(db: Database) -> None:
    bus = InMemoryBus()
    await bus.start()
    try:
        with db.write() as session:
            outbox.enqueue(session, ParcelDelivered(parcel=1))
            raise RuntimeError("the change failed")
    except RuntimeError:
        pass
    assert await outbox.OutboxRelay(db, bus).relay_pending() == 0
    await bus.close()


async def test_events_left_by_a_crash_are_sent_by_the_next_relay(db: Database) -> None:
    with db.write() as session:  # committed, then the process died before relaying
        outbox.enqueue(session, ParcelDelivered(parcel=7))
    bus = InMemoryBus()
    await bus.start()
    seen = await _collect(bus)
    relay = outbox.OutboxRelay(db, bus, poll_seconds=0.05)
    await relay.start()
    await _settle(seen, 1)
    await relay.stop()
    await bus.close()
    assert [e.parcel for e in seen] == [7]  # type: ignore[attr-defined]


async def test_published_events_older_than_a_week_are_purged(db: Database) -> None:
    from datetime import timedelta

    from sqlalchemy import func, select, update

    from warroom.core.clock import utcnow

    with db.write() as session:
        outbox.enqueue(session, ParcelDelivered(parcel=1))
        outbox.enqueue(session, ParcelDelivered(parcel=2))
    bus = InMemoryBus()
    await bus.start()
    relay = outbox.OutboxRelay(db, bus)
    await relay.relay_pending()
    with db.write() as session:  # the first was published eight days ago
        first = session.scalar(select(func.min(outbox.OutboxMessage.id)))
        session.execute(
            update(outbox.OutboxMessage)
            .where(outbox.OutboxMessage.id == first)
            .values(published_at=utcnow() - timedelta(days=8))
        )
    await relay.start()  # the running relay purges on its first round
    for _ in range(200):
        with db.read() as session:
            left = session.scalars(select(outbox.OutboxMessage.payload)).all()
        if len(left) == 1:
            break
        await asyncio.sleep(0.01)
    await relay.stop()
    await bus.close()
    assert len(left) == 1 and '"parcel": 2' in left[0]


async def test_full_batches_are_followed_until_the_outbox_is_drained(db: Database) -> None:
    with db.write() as session:
        for n in range(5):
            outbox.enqueue(session, ParcelDelivered(parcel=n))
    bus = InMemoryBus()
    await bus.start()
    seen = await _collect(bus)
    assert await outbox.OutboxRelay(db, bus, batch=2).relay_pending() == 5
    await _settle(seen, 5)
    assert [e.parcel for e in seen] == [0, 1, 2, 3, 4]  # type: ignore[attr-defined]
    await bus.close()


async def test_a_stream_of_commits_is_relayed_in_few_rounds(db: Database) -> None:
    """Each round stamps its rows with one published_at, so distinct stamps count rounds."""
    from sqlalchemy import select

    bus = InMemoryBus()
    await bus.start()
    seen = await _collect(bus)
    relay = outbox.OutboxRelay(db, bus, poll_seconds=60, min_gap_seconds=1.0)
    await relay.start()
    for n in range(6):
        with db.write() as session:
            outbox.enqueue(session, ParcelDelivered(parcel=n))
        relay.notify()
        await asyncio.sleep(0.02)  # time enough for a round of its own, were there no gap
    await _settle(seen, 6)
    await relay.stop()
    await bus.close()
    with db.read() as session:
        stamps = session.scalars(select(outbox.OutboxMessage.published_at)).all()
    assert [e.parcel for e in seen] == list(range(6))  # type: ignore[attr-defined]
    assert len(set(stamps)) <= 2, "the first event at once, the rest of the stream together"


async def test_rounds_of_any_size_mark_their_rows_with_a_few_statement_shapes(
    db: Database,
) -> None:
    """A relay runs all day with rounds of 1 to `batch` rows; were each size its own SQL text,
    SQLite's driver would keep a prepared copy of each in every pooled connection."""
    from sqlalchemy import event, func, select

    bus = InMemoryBus()
    await bus.start()
    relay = outbox.OutboxRelay(db, bus)
    updates: set[str] = set()

    def remember(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.startswith("UPDATE event_outbox"):
            updates.add(statement)

    event.listen(db.write_engine, "before_cursor_execute", remember)
    for size in range(1, 41):
        with db.write() as session:
            for n in range(size):
                outbox.enqueue(session, ParcelDelivered(parcel=n))
        assert await relay.relay_pending() == size
    event.remove(db.write_engine, "before_cursor_execute", remember)
    await bus.close()
    assert 1 <= len(updates) <= 7, "40 round sizes, at most 7 shapes (lists padded to 1, 2, ... 64)"
    with db.read() as session:
        unpublished = select(func.count()).where(outbox.OutboxMessage.published_at.is_(None))
        assert session.scalar(unpublished) == 0
