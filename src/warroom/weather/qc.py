"""Quality control of readings: range, stuck sensor, gaps, clock errors.

Bad readings are flagged, never dropped: the flags travel with the stored observation, and
statistics and thresholds skip readings carrying any of ``BAD``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntFlag
from functools import cached_property

from warroom.weather.rainfall import RainWindow


class Flag(IntFlag):
    RANGE = 1  # outside the datastream's valid range
    STUCK = 2  # the same value too many times in a row
    GAP = 4  # first reading after a gap of several expected intervals
    FUTURE = 8  # timestamped ahead of the server clock
    OUT_OF_ORDER = 16  # older than a reading already seen


BAD = int(Flag.RANGE | Flag.STUCK | Flag.FUTURE)
OUT_OF_ORDER = int(Flag.OUT_OF_ORDER)
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

    @cached_property
    def gap(self) -> timedelta:
        """A reading this long after the previous one follows a gap."""
        return self.interval * self.gap_factor


@dataclass
class StreamState:
    """What QC and thresholds remember about one datastream between batches."""

    last_time: datetime | None = None
    last_value: float | None = None
    same_count: int = 0
    rain: RainWindow = field(default_factory=RainWindow)  # good readings, rain streams only


# Plain ints: IntFlag arithmetic costs a microsecond per operation, on every reading.
_RANGE, _STUCK, _GAP, _FUTURE = int(Flag.RANGE), int(Flag.STUCK), int(Flag.GAP), int(Flag.FUTURE)


def check(rules: QcRules, state: StreamState, when: datetime, value: float, now: datetime) -> int:
    """Flags for one reading; updates ``state`` with it (readings arrive roughly in order)."""
    flags = 0
    if not rules.valid_min <= value <= rules.valid_max:
        flags = _RANGE
    if when > now + CLOCK_TOLERANCE:
        flags |= _FUTURE
    last_time = state.last_time
    if last_time is not None:
        if when <= last_time:
            return flags | OUT_OF_ORDER  # a late or repeated reading says nothing of the sensor
        if when - last_time > rules.gap:
            flags |= _GAP
    if value == state.last_value:
        state.same_count += 1
    else:
        state.same_count = 1
    if state.same_count >= rules.stuck_count and not _may_repeat(rules.quantity, value):
        flags |= _STUCK
    state.last_time, state.last_value = when, value
    return flags


def _may_repeat(quantity: str, value: float) -> bool:
    return quantity in STUCK_EXEMPT or (value == 0 and quantity in STUCK_EXEMPT_ZERO)
