"""The group-commit writer as a two-stage line: the tracker thread prepares batch N+1 while the
commit thread stores batch N; acks follow commits, in order; a failed commit fails only its
own jobs, and their fixes are accepted again when the devices resend them; device states are
upserted in multi-row statements."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import TEST_ACTOR
from warroom.core.db import Database
from warroom.fleet import service, store
from warroom.fleet.config import FleetConfig
from warroom.fleet.directory import DeviceInfo
from warroom.fleet.models import Position
from warroom.fleet.protocols import PositionRecord
from warroom.fleet.schemas import DeviceCreate
from warroom.fleet.tracker import Tracker
from warroom.fleet.writer import GroupCommitWriter, Job

START = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
INFO = DeviceInfo(7, "dev-7", "teltonika", None, None, "bus", None, None)


def fix(second: int) -> PositionRecord:
    return PositionRecord(
        INFO.unique_id, START + timedelta(seconds=second), True, -5.15 + second * 1e-5, 119.43
    )


@pytest.fixture
async def writer(db: Database) -> AsyncIterator[GroupCommitWriter]:
    config = FleetConfig(filter_past_days=0, batch_max_ms=5)
    started = GroupCommitWriter(db, Tracker(config), config, lambda live: None)
    await started.start()
    yield started
    await started.stop()


def stored_seconds(db: Database) -> list[int]:
    with db.read() as session:
        times = session.scalars(select(Position.time).order_by(Position.id))
        return [int((time - START).total_seconds()) for time in times]


def gate_first_commit(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event]:
    """The first batch's commit waits (in the commit thread) until the test opens the gate."""
    reached, gate = threading.Event(), threading.Event()
    real: Callable[..., None] = store.write_batch

    def write_batch(*args: Any, **kwargs: Any) -> None:
        if not reached.is_set():
            reached.set()
            assert gate.wait(10), "the test never opened the gate"
        real(*args, **kwargs)

    monkeypatch.setattr(store, "write_batch", write_batch)
    return reached, gate


def latest_second(writer: GroupCommitWriter) -> int | None:
    live = writer.tracker.devices.get(INFO.id)
    latest = live.latest if live else None
    return int((latest.time - START).total_seconds()) if latest else None


async def test_the_next_batch_is_tracked_while_one_commits(
    writer: GroupCommitWriter, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    reached, gate = gate_first_commit(monkeypatch)
    first = asyncio.create_task(writer.store(Job(INFO, (fix(1),), START)))
    assert await asyncio.to_thread(reached.wait, 10)
    second = asyncio.create_task(writer.store(Job(INFO, (fix(2),), START)))

    for _ in range(200):  # the tracker thread takes batch 2 while batch 1 is being committed
        if await writer.run_in_writer(lambda: latest_second(writer)) == 2:
            break
        await asyncio.sleep(0.01)
    else:
        pytest.fail("the second batch was not tracked while the first committed")
    assert not first.done() and not second.done()  # neither is acknowledged before its commit
    gate.set()
    await asyncio.wait_for(asyncio.gather(first, second), 10)
    assert stored_seconds(db) == [1, 2]


async def test_a_failed_commit_fails_its_jobs_only_and_a_resend_is_stored(
    writer: GroupCommitWriter, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    real: Callable[..., None] = store.write_batch
    failures = [RuntimeError("disk full")]

    def write_batch(*args: Any, **kwargs: Any) -> None:
        if failures:
            raise failures.pop()
        real(*args, **kwargs)

    monkeypatch.setattr(store, "write_batch", write_batch)
    with pytest.raises(RuntimeError, match="disk full"):
        await writer.store(Job(INFO, (fix(1), fix(2)), START))
    await writer.store(Job(INFO, (fix(3),), START))  # the next batch commits
    await writer.store(Job(INFO, (fix(1), fix(2)), START))  # the resend is not a duplicate
    assert stored_seconds(db) == [3, 1, 2]


def register_devices(db: Database, count: int) -> list[int]:
    with db.write() as session:
        return [
            service.create_device(
                session, data=DeviceCreate(unique_id=f"st-{n}", protocol="osmand"), actor=TEST_ACTOR
            ).id
            for n in range(count)
        ]


def test_device_states_are_upserted_in_chunks_and_read_back(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "SQLITE_CHUNK_ROWS", (4, 2, 1))  # 11 states: 4, 4, 2, 1
    ids = register_devices(db, 11)

    def state(device_id: int, second: int, online: bool) -> dict[str, Any]:
        at = START + timedelta(seconds=second)
        return {
            "device_id": device_id, "last_seen_at": at, "online": online,
            "fix_time": at if second else None, "lat": -5.1 if second else None, "lon": 119.4,
            "speed_kmh": 30.5, "course": None, "moving": online,
            "detail": {"fences": [3, 9], "ignition": None, "overspeed": online},
        }  # fmt: skip

    for second, online in ((0, False), (60, True)):  # the second write updates every row
        with db.write() as session:
            store.write_states(session, [state(i, second, online) for i in ids])
        loaded = store.load_states(db)
        assert loaded == {i: state(i, second, online) for i in ids}


def test_times_shared_by_rows_are_stored_as_each_rows_own_instant(db: Database) -> None:
    """Times are formatted once a batch: the same instant in another zone, and every other
    time, still come back exactly."""
    (device,) = register_devices(db, 1)
    wita = timezone(timedelta(hours=8))
    times = [START, START.astimezone(wita), START + timedelta(microseconds=1), START]
    received = [START + timedelta(seconds=9)] * 4
    rows: list[store.PositionRow] = [
        (device, None, t, r, True, -5.15, 119.43, None, None, None, None, {})
        for t, r in zip(times, received, strict=True)
    ]
    with db.write() as session:
        store.insert_positions(session, rows)
    with db.read() as session:
        stored = session.execute(
            select(Position.time, Position.received_at).order_by(Position.id)
        ).all()
    assert [tuple(row) for row in stored] == list(zip(times, received, strict=True))
