"""Streaming trip and stop detection, shared by live events and reports.

A vehicle is either stopped or on a trip. From a stop, a trip starts once the vehicle is
`min_distance_m` from where it stood; it starts at the last fix where it was still standing.
A trip ends when the vehicle stands still (below `moving_speed_kmh`) for `min_stop_s` (the
stop begins at the first still fix) or when no fix arrives for `stop_gap_s` (the trip ends at
the last fix before the gap). Shorter standstills inside a trip count as idle time. Defaults
follow Traccar: 200 m, 180 s, 3600 s. Fixes must be fed in time order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

EARTH_RADIUS_M = 6_371_008.8


_RADIANS = math.pi / 180.0  # what math.radians multiplies by
_DIAMETER_M = 2 * EARTH_RADIUS_M
_sin, _cos, _asin, _sqrt = math.sin, math.cos, math.asin, math.sqrt


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine); scalar math is faster than numpy for one pair.
    Runs a few times per fix, hence the local names and products instead of `**`."""
    p1, p2 = lat1 * _RADIANS, lat2 * _RADIANS
    half_dp, half_dl = _sin((p2 - p1) / 2), _sin((lon2 - lon1) * _RADIANS / 2)
    a = half_dp * half_dp + _cos(p1) * _cos(p2) * half_dl * half_dl
    return _DIAMETER_M * _asin(_sqrt(a) if a < 1.0 else 1.0)


class FixLike(Protocol):
    """What trip detection reads of a fix: a `Fix`, or a decoded position as it is."""

    @property
    def time(self) -> datetime: ...
    @property
    def lat(self) -> float: ...
    @property
    def lon(self) -> float: ...
    @property
    def speed_kmh(self) -> float | None: ...


@dataclass(frozen=True)
class MotionSettings:
    moving_speed_kmh: float = 5.0
    min_distance_m: float = 200.0
    min_stop_s: float = 180.0
    stop_gap_s: float = 3600.0


@dataclass(frozen=True)
class Fix:
    time: datetime
    lat: float
    lon: float
    speed_kmh: float | None = None


@dataclass(frozen=True)
class Trip:
    start: FixLike
    end: FixLike
    distance_m: float
    max_speed_kmh: float
    idle_s: float

    @property
    def duration_s(self) -> float:
        return (self.end.time - self.start.time).total_seconds()

    @property
    def average_speed_kmh(self) -> float:
        return self.distance_m / self.duration_s * 3.6 if self.duration_s > 0 else 0.0


@dataclass(frozen=True)
class Stop:
    start: FixLike
    end_time: datetime

    @property
    def duration_s(self) -> float:
        return (self.end_time - self.start.time).total_seconds()


@dataclass(slots=True)  # one per trip in progress: small, as is all per-device state
class _Leg:
    """The trip in progress."""

    start: FixLike
    distance_m: float = 0.0
    max_speed_kmh: float = 0.0
    idle_s: float = 0.0
    still_since: FixLike | None = None
    distance_at_still: float = 0.0


@dataclass(slots=True)  # one per device
class TripDetector:
    settings: MotionSettings = field(default_factory=MotionSettings)
    last: FixLike | None = None
    anchor: FixLike | None = None  # where the vehicle stands while stopped
    last_still: FixLike | None = None
    leg: _Leg | None = None

    @property
    def moving(self) -> bool:
        return self.leg is not None

    def feed(self, fix: FixLike, step_m: float | None = None) -> tuple[FixLike | None, Trip | None]:
        """Add the next fix; returns (start of a trip that began, trip that ended).
        `step_m`, when the caller already knows it, is the distance from the previous fix."""
        last, self.last = self.last, fix
        if last is None:
            self.anchor = self.last_still = fix
            return None, None
        ended = None
        gap = (fix.time - last.time).total_seconds()
        if self.leg is not None and gap >= self.settings.stop_gap_s:
            ended = self._end(last, self.leg.distance_m)
            self.anchor = self.last_still = fix  # where it reappears, it is taken as standing
        step = distance_m(last.lat, last.lon, fix.lat, fix.lon) if step_m is None else step_m
        speed = fix.speed_kmh if fix.speed_kmh is not None else _speed(step, gap)
        if self.leg is None:
            return self._while_stopped(fix, speed), ended
        return None, ended or self._while_moving(fix, step, speed)

    def _while_stopped(self, fix: FixLike, speed: float) -> FixLike | None:
        assert self.anchor is not None
        if speed < self.settings.moving_speed_kmh:
            self.last_still = fix
            return None
        away = distance_m(self.anchor.lat, self.anchor.lon, fix.lat, fix.lon)
        if away < self.settings.min_distance_m:
            return None
        start = self.last_still or self.anchor
        self.leg = _Leg(start, distance_m(start.lat, start.lon, fix.lat, fix.lon), speed)
        return start

    def _while_moving(self, fix: FixLike, step: float, speed: float) -> Trip | None:
        leg = self.leg
        assert leg is not None
        leg.distance_m += step
        if speed >= self.settings.moving_speed_kmh:
            leg.max_speed_kmh = max(leg.max_speed_kmh, speed)
            if leg.still_since is not None:
                leg.idle_s += (fix.time - leg.still_since.time).total_seconds()
                leg.still_since = None
            return None
        if leg.still_since is None:
            leg.still_since, leg.distance_at_still = fix, leg.distance_m
            return None
        if (fix.time - leg.still_since.time).total_seconds() < self.settings.min_stop_s:
            return None
        self.last_still = fix
        return self._end(leg.still_since, leg.distance_at_still)

    def _end(self, end: FixLike, distance: float) -> Trip:
        leg = self.leg
        assert leg is not None
        self.leg, self.anchor, self.last_still = None, end, end
        return Trip(leg.start, end, distance, leg.max_speed_kmh, leg.idle_s)


def _speed(step_m: float, gap_s: float) -> float:
    return step_m / gap_s * 3.6 if gap_s > 0 else 0.0


def trips_and_stops(fixes: list[Fix], settings: MotionSettings) -> tuple[list[Trip], list[Stop]]:
    """Batch detection over time-ordered fixes (reports). A trip still running at the end
    of the period ends at the last fix; stops shorter than `min_stop_s` are not stops."""
    detector = TripDetector(settings)
    trips: list[Trip] = []
    for fix in fixes:
        _, ended = detector.feed(fix)
        if ended is not None:
            trips.append(ended)
    if detector.leg is not None and detector.last is not None:
        trips.append(detector._end(detector.last, detector.leg.distance_m))
    return trips, _stops_between(fixes, trips, settings)


def _stops_between(fixes: list[Fix], trips: list[Trip], settings: MotionSettings) -> list[Stop]:
    if not fixes:
        return []
    bounds = [(fixes[0], None)] + [(trip.end, trip) for trip in trips]
    starts = [trip.start.time for trip in trips] + [fixes[-1].time]
    stops = []
    for (begin, _), until in zip(bounds, starts, strict=True):
        stop = Stop(begin, until)
        if stop.duration_s >= settings.min_stop_s:
            stops.append(stop)
    return stops
