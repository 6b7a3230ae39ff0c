"""Quality control of readings: range, stuck sensor, gaps, clock errors.

Bad readings are flagged, never dropped: the flags travel with the stored observation, and
statistics and thresholds skip readings carrying any of ``BAD``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntFlag


class Flag(IntFlag):
    RANGE = 1  # outside the datastream's valid range
    STUCK = 2  # the same value too many times in a row
    GAP = 4  # first reading after a gap of several expected intervals
    FUTURE = 8  # timestamped ahead of the server clock
    OUT_OF_ORDER = 16  # older than a reading already seen


BAD = Flag.RANGE | Flag.STUCK | Flag.FUTURE
CLOCK_TOLERANCE = timedelta(minutes=10)
# Rain amounts repeat whenever the rate is steady (and a dry gauge reads 0 for weeks), and a
# calm wind reads 0 for hours: neither says the sensor is stuck.
STUCK_EXEMPT = frozenset({"rain_mm"})
STUCK_EXEMPT_ZERO = frozenset({"wind_speed_kmh"})


def flag_names(flags: int) -> list[str]:
    return [f.name.lower() for f in Flag if flags & f and f.name]


@dataclass(frozen=True)
class QcRules:
    valid_min: float
    valid_max: float
    interval: timedelta
    stuck_count: int
    gap_factor: float
    quantity: str


@dataclass
class StreamState:
    """What QC and thresholds remember about one datastream between batches."""

    last_time: datetime | None = None
    last_value: float | None = None
    same_count: int = 0
    # Good readings of the last 24 h (rain only): (time, value), oldest first.
    window: deque[tuple[datetime, float]] = field(default_factory=deque)


def check(rules: QcRules, state: StreamState, when: datetime, value: float, now: datetime) -> int:
    """Flags for one reading; updates ``state`` with it (readings arrive roughly in order)."""
    flags = 0
    if not rules.valid_min <= value <= rules.valid_max:
        flags |= Flag.RANGE
    if when > now + CLOCK_TOLERANCE:
        flags |= Flag.FUTURE
    if state.last_time is not None and when <= state.last_time:
        return flags | Flag.OUT_OF_ORDER  # a late or repeated reading says nothing of the sensor
    if state.last_time is not None and when - state.last_time > rules.interval * rules.gap_factor:
        flags |= Flag.GAP
    flags |= _stuck(rules, state, value)
    state.last_time, state.last_value = when, value
    return flags


def _stuck(rules: QcRules, state: StreamState, value: float) -> int:
    if value == state.last_value:
        state.same_count += 1
    else:
        state.same_count = 1
    if rules.quantity in STUCK_EXEMPT or (value == 0 and rules.quantity in STUCK_EXEMPT_ZERO):
        return 0
    return int(Flag.STUCK) if state.same_count >= rules.stuck_count else 0


def add_to_window(state: StreamState, when: datetime, value: float) -> None:
    """Keep a good rain reading for the 1 h and 24 h sums; a repeated timestamp counts once."""
    if state.window and when <= state.window[-1][0]:
        if any(t == when for t, _ in state.window):
            return
        state.window.append((when, value))
        state.window = deque(sorted(state.window))
    else:
        state.window.append((when, value))
    horizon = state.window[-1][0] - timedelta(hours=24)
    while state.window and state.window[0][0] <= horizon:
        state.window.popleft()


def window_sum(state: StreamState, hours: float) -> float:
    if not state.window:
        return 0.0
    start = state.window[-1][0] - timedelta(hours=hours)
    return sum(v for t, v in state.window if t > start)
