"""Which fixes are stored: Traccar's filters, each switchable in `FleetConfig`.

A dropped fix is still acknowledged to the device (it was handled, on purpose), and counted.
"""

from __future__ import annotations

from array import array
from datetime import UTC, datetime, timedelta

from warroom.fleet.config import FleetConfig
from warroom.fleet.motion import distance_m
from warroom.fleet.protocols import PositionRecord

RECENT_TIMES = 64  # fix times remembered per device to spot resent (duplicate) fixes

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# An empty slot: datetimes span only about ±3e17 µs around the epoch, so no fix time is this.
_EMPTY = -(2**63)
_NEVER = datetime.min.replace(tzinfo=UTC)


def _key(moment: datetime) -> int:
    """Exact microseconds since the epoch: equal instants (in any time zone) get equal keys,
    as they compare equal as datetimes."""
    return (moment - _EPOCH) // _MICROSECOND


class RecentTimes:
    """The last `RECENT_TIMES` fix times stored for a device, for the duplicate filter.

    A ring of 64-bit integers allocated with the device's state, so its memory does not grow
    with the fixes: a deque and a set of datetimes grew to about 12 KB a device (the set's
    table, and the 64 time objects it kept alive), full only after 5 min at 5 s reports, which
    showed as a server's memory rising through the first ten minutes. A scan of 64 integers
    costs about 1 µs, so it is skipped for a fix newer than every time added: nearly all.
    """

    __slots__ = ("_keys", "_newest", "_next")

    def __init__(self) -> None:
        self._keys = array("q", [_EMPTY]) * RECENT_TIMES
        self._next = 0  # the slot the next time overwrites: the oldest once the ring is full
        self._newest = _NEVER  # no time in the ring is later (forget does not lower it)

    def __contains__(self, moment: datetime) -> bool:
        if moment > self._newest:
            return False
        return _key(moment) in self._keys

    def add(self, moment: datetime) -> None:
        slot = self._next
        self._keys[slot] = (moment - _EPOCH) // _MICROSECOND  # `_key`, without the call
        self._next = slot + 1 if slot + 1 < RECENT_TIMES else 0
        if moment > self._newest:
            self._newest = moment

    def forget(self, moment: datetime) -> None:
        """The fix was not stored after all: a resend of it is not a duplicate."""
        key, keys = _key(moment), self._keys
        while key in keys:
            keys[keys.index(key)] = _EMPTY


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
        if self._duplicates and time in recent:  # `is_resend`, without the call
            return "duplicate"
        if self._check_future and time > now + self._future:
            return "future"
        if self._check_past and time < now - self._past:
            return "past"
        if self._jumped(fix, latest, step_m):
            return "jump"
        return None

    def is_resend(self, fix: PositionRecord, recent: RecentTimes) -> bool:
        """The device sent this fix before (and it was stored): a resend, not news."""
        return self._duplicates and fix.time in recent

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
