"""Which fixes are stored: Traccar's filters, each switchable in `FleetConfig`.

A dropped fix is still acknowledged to the device (it was handled, on purpose), and counted.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from warroom.fleet.config import FleetConfig
from warroom.fleet.motion import distance_m
from warroom.fleet.protocols import PositionRecord

RECENT_TIMES = 64  # fix times remembered per device to spot resent (duplicate) fixes


@dataclass
class RecentTimes:
    """The last few fix times of a device, for the duplicate filter."""

    order: deque[datetime] = field(default_factory=deque)
    seen: set[datetime] = field(default_factory=set)

    def add(self, moment: datetime) -> None:
        self.order.append(moment)
        self.seen.add(moment)
        if len(self.order) > RECENT_TIMES:
            self.seen.discard(self.order.popleft())

    def forget(self, moment: datetime) -> None:
        self.seen.discard(moment)


class PositionFilter:
    def __init__(self, config: FleetConfig) -> None:
        # Read once: the checks run for every fix.
        self._invalid = config.filter_invalid
        self._duplicates = config.filter_duplicates
        self._future = timedelta(seconds=config.filter_future_seconds)
        self._past = timedelta(days=config.filter_past_days)
        self._check_future = bool(config.filter_future_seconds)
        self._check_past = bool(config.filter_past_days)
        self._max_speed_kmh = config.filter_max_speed_kmh

    def reject_reason(
        self,
        fix: PositionRecord,
        *,
        latest: PositionRecord | None,
        recent: RecentTimes,
        now: datetime,
        step_m: float | None = None,
    ) -> str | None:
        """Why `fix` is dropped, or None to keep it. `step_m`, when the caller already knows
        it, is the distance from `latest` to `fix`."""
        time = fix.time
        if self._invalid and not fix.valid:
            return "invalid"
        if self._duplicates and time in recent.seen:
            return "duplicate"
        if self._check_future and time > now + self._future:
            return "future"
        if self._check_past and time < now - self._past:
            return "past"
        if self._jumped(fix, latest, step_m):
            return "jump"
        return None

    def _jumped(
        self, fix: PositionRecord, latest: PositionRecord | None, step_m: float | None
    ) -> bool:
        """Only checked against an older latest fix: out-of-order data has no neighbour here."""
        limit = self._max_speed_kmh
        if not limit or latest is None or fix.time <= latest.time:
            return False
        seconds = (fix.time - latest.time).total_seconds()
        if step_m is None:
            step_m = distance_m(latest.lat, latest.lon, fix.lat, fix.lon)
        return step_m / seconds * 3.6 > limit
