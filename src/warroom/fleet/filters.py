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
        self._config = config
        self._future = timedelta(seconds=config.filter_future_seconds)
        self._past = timedelta(days=config.filter_past_days)

    def reject_reason(
        self,
        fix: PositionRecord,
        *,
        latest: PositionRecord | None,
        recent: RecentTimes,
        now: datetime,
    ) -> str | None:
        """Why `fix` is dropped, or None to keep it."""
        config = self._config
        if config.filter_invalid and not fix.valid:
            return "invalid"
        if config.filter_duplicates and fix.time in recent.seen:
            return "duplicate"
        if config.filter_future_seconds and fix.time > now + self._future:
            return "future"
        if config.filter_past_days and fix.time < now - self._past:
            return "past"
        if self._jumped(fix, latest):
            return "jump"
        return None

    def _jumped(self, fix: PositionRecord, latest: PositionRecord | None) -> bool:
        """Only checked against an older latest fix: out-of-order data has no neighbour here."""
        limit = self._config.filter_max_speed_kmh
        if not limit or latest is None or fix.time <= latest.time:
            return False
        return self._implied_speed(latest, fix) > limit

    @staticmethod
    def _implied_speed(previous: PositionRecord, fix: PositionRecord) -> float:
        seconds = (fix.time - previous.time).total_seconds()
        meters = distance_m(previous.lat, previous.lon, fix.lat, fix.lon)
        return meters / seconds * 3.6
