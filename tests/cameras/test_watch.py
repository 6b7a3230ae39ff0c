"""The recorders' shared watch clock, the progress reader and the batched index writes the
recorder supervisor relies on."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest
from sqlalchemy import select

from tests.cameras.test_retention import setup_camera
from warroom.cameras import index
from warroom.cameras.models import Camera
from warroom.cameras.recorder import _ProgressReader
from warroom.cameras.watchclock import WatchClock
from warroom.core.db import Database


class Member:
    def __init__(self, fail: bool = False) -> None:
        self.ticks: list[float] = []
        self.fail = fail

    def tick(self, now: float) -> None:
        self.ticks.append(now)
        if self.fail:
            raise RuntimeError("a bug in one recorder")


def test_one_wake_up_ticks_every_member_even_after_one_fails() -> None:
    async def run() -> list[Member]:
        clock = WatchClock(period=0.01)
        members = [Member(), Member(fail=True), Member()]
        for member in members:
            clock.add(member)
        tasks_before = len(asyncio.all_tasks())
        await asyncio.sleep(0.05)
        assert len(asyncio.all_tasks()) == tasks_before  # no task per member
        clock.discard(members[2])
        count = len(members[2].ticks)
        await asyncio.sleep(0.05)
        assert len(members[2].ticks) == count  # discarded: not ticked any more
        return members

    members = asyncio.run(run())
    assert members[0].ticks and members[2].ticks
    assert len(members[0].ticks) >= len(members[1].ticks) > 0  # the failing one kept ticking too
    for earlier, later in zip(members[0].ticks, members[0].ticks[1:], strict=False):
        assert later > earlier


def test_clock_stops_when_empty_and_restarts_on_add() -> None:
    async def run() -> Member:
        clock = WatchClock(period=0.01)
        first = Member()
        clock.add(first)
        clock.discard(first)
        await asyncio.sleep(0.05)  # the timer task ends with no members
        second = Member()
        clock.add(second)
        await asyncio.sleep(0.05)
        return second

    assert asyncio.run(run()).ticks


REPORT = (
    b"frame={n}\nfps=10.0\nbitrate=N/A\ntotal_size=1000\nout_time_us=3000000\n"
    b"dup_frames=7\ndrop_frames=9\nspeed=1x\nprogress=continue\n"
)


@pytest.fixture
def pipe() -> Any:
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    reader = _ProgressReader(read_end)
    yield reader, write_end
    reader.close()
    os.close(write_end)


def test_progress_reader_takes_the_newest_frame_count(pipe: Any) -> None:
    reader, write_end = pipe
    assert reader.latest_frames() is None  # nothing written yet: no blocking, no error
    os.write(write_end, REPORT.replace(b"{n}", b"30") + REPORT.replace(b"{n}", b"61"))
    assert reader.latest_frames() == 61  # not dup_frames/drop_frames, not the older report
    os.write(write_end, b"frame=9")  # a report cut mid-line waits for the rest
    assert reader.latest_frames() is None
    os.write(write_end, b"2\nfps=10\n")
    assert reader.latest_frames() == 92


def test_progress_reader_drains_more_than_one_read(pipe: Any) -> None:
    reader, write_end = pipe
    reports = b"".join(REPORT.replace(b"{n}", str(n).encode()) for n in range(1, 800))
    assert len(reports) > 65536  # more than one read's worth
    written = 0
    while written < len(reports):
        written += os.write(write_end, reports[written : written + 32768])
        if written >= 65536:
            break
    assert reader.latest_frames() is not None
    os.write(write_end, reports[written:])
    assert reader.latest_frames() == 799


def test_health_of_several_cameras_in_one_write(db: Database) -> None:
    first = setup_camera(db, hot_days=1, archive_days=0)
    with db.write() as session:
        other = Camera(name="other", main_url="rtsp://127.0.0.1/y", tags=[], health={})
        session.add(other)
        session.flush()
        second = other.id
    figures = {first: {"fps": 9.5, "reconnects": 2}, second: {"fps": 0.0, "reconnects": 0}}
    with db.write() as session:
        index.store_health(session, figures=figures)
    with db.read() as session:
        stored = {row[0]: row[1] for row in session.execute(select(Camera.id, Camera.health))}
    assert stored == figures
