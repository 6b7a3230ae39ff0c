"""The duplicate filter's memory of recent fix times: a fixed ring of `RECENT_TIMES` per
device that evicts the oldest, forgets fixes whose commit failed, and does not grow."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime, timedelta, timezone

from warroom.fleet import filters
from warroom.fleet.config import FleetConfig
from warroom.fleet.directory import DeviceInfo
from warroom.fleet.filters import RECENT_TIMES, RecentTimes
from warroom.fleet.protocols import PositionRecord
from warroom.fleet.tracker import Outcome, Tracker

START = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
INFO = DeviceInfo(1, "dev-1", "osmand", 1, "DD 1 FL", "bus", None, None)


def _at(second: float) -> datetime:
    return START + timedelta(seconds=second)


def _filled(count: int) -> RecentTimes:
    recent = RecentTimes()
    for n in range(count):
        recent.add(_at(n))
    return recent


def test_the_ring_holds_the_last_recent_times_and_evicts_the_oldest() -> None:
    recent = _filled(RECENT_TIMES + 1)
    assert _at(0) not in recent  # evicted by the 65th
    assert all(_at(n) in recent for n in range(1, RECENT_TIMES + 1))
    assert _at(RECENT_TIMES + 1) not in recent and _at(0.5) not in recent
    recent.add(_at(RECENT_TIMES + 1))
    assert _at(1) not in recent and _at(2) in recent


def test_times_older_than_the_newest_are_found_in_any_order() -> None:
    recent = RecentTimes()
    for second in (50, 10, 30, 20):  # buffered fixes arriving out of order
        recent.add(_at(second))
    assert all(_at(s) in recent for s in (10, 20, 30, 50))
    assert _at(40) not in recent and _at(60) not in recent


def test_the_same_instant_in_another_time_zone_is_the_same_time() -> None:
    recent = _filled(3)
    makassar = timezone(timedelta(hours=8))
    assert _at(2).astimezone(makassar) in recent
    assert _at(2).astimezone(makassar) + timedelta(microseconds=1) not in recent


def test_a_forgotten_time_is_not_a_duplicate_and_the_others_stay() -> None:
    recent = _filled(5)
    recent.forget(_at(4))
    recent.forget(_at(99))  # never added: nothing happens
    assert _at(4) not in recent
    assert all(_at(n) in recent for n in range(4))
    recent.add(_at(4))  # the resend is stored
    assert _at(4) in recent


def test_its_memory_is_taken_at_the_first_fix_and_does_not_grow() -> None:
    recent = _filled(1)
    tracing = tracemalloc.is_tracing()
    if not tracing:
        tracemalloc.start()
    try:
        before = _held_here()
        for n in range(1, 3 * RECENT_TIMES):
            recent.add(_at(n))  # the caller drops each time object at once
        grown = _held_here() - before
    finally:
        if not tracing:
            tracemalloc.stop()
    assert grown < 256  # the newest time only (a deque and set of times grew to ~12 KB)


def _held_here() -> int:
    """Bytes allocated in the filter or this test and still held; other threads' allocations
    are left out so that they cannot make the test flaky."""
    where = [tracemalloc.Filter(True, filters.__file__), tracemalloc.Filter(True, __file__)]
    traces = tracemalloc.take_snapshot().filter_traces(where)
    return sum(stat.size for stat in traces.statistics("filename"))


def _fix(second: float) -> PositionRecord:
    return PositionRecord("dev-1", _at(second), True, -5.15, 119.43, 30.0)


def _stored(tracker: Tracker, fixes: list[PositionRecord]) -> tuple[list[datetime], Outcome]:
    out = Outcome()
    tracker.accept(INFO, fixes, START, out)
    return [row[2] for row in out.rows], out


def test_a_resent_fix_is_a_duplicate_until_it_leaves_the_ring() -> None:
    tracker = Tracker(FleetConfig(filter_past_days=0))
    _stored(tracker, [_fix(n) for n in range(RECENT_TIMES)])
    stored, out = _stored(tracker, [_fix(0), _fix(RECENT_TIMES - 1)])
    assert stored == [] and out.dropped == {"duplicate": 2}
    _stored(tracker, [_fix(RECENT_TIMES)])  # pushes fix 0 out
    stored, out = _stored(tracker, [_fix(1), _fix(0)])  # storing 0 again pushes 1 out
    assert stored == [_at(0)] and out.dropped == {"duplicate": 1}


def test_fixes_of_a_failed_commit_are_stored_when_resent() -> None:
    tracker = Tracker(FleetConfig(filter_past_days=0))
    _stored(tracker, [_fix(0)])
    _, failed = _stored(tracker, [_fix(5), _fix(10)])
    tracker.forget(failed.rows)
    stored, out = _stored(tracker, [_fix(0), _fix(5), _fix(10)])
    assert stored == [_at(5), _at(10)] and out.dropped == {"duplicate": 1}
