"""Trip and stop detection (pure): Traccar-like defaults, idle time, gaps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from warroom.fleet.motion import Fix, MotionSettings, TripDetector, distance_m, trips_and_stops

START = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
SETTINGS = MotionSettings()
METERS_PER_DEG_LAT = 111_195.0


def drive(seconds: list[tuple[float, float, float]]) -> list[Fix]:
    """(second, metres north of the start, speed km/h) -> fixes."""
    return [
        Fix(START + timedelta(seconds=s), -5.15 + north / METERS_PER_DEG_LAT, 119.43, speed)
        for s, north, speed in seconds
    ]


def parked(
    start_s: float, end_s: float, at_m: float, step: float = 30.0
) -> list[tuple[float, float, float]]:
    out, s = [], start_s
    while s <= end_s:
        out.append((s, at_m, 0.0))
        s += step
    return out


def moving(
    start_s: float, end_s: float, from_m: float, kmh: float
) -> list[tuple[float, float, float]]:
    out, s = [], start_s
    while s <= end_s:
        out.append((s, from_m + (s - start_s) * kmh / 3.6, kmh))
        s += 10
    return out


def test_distance_matches_a_degree_of_latitude() -> None:
    assert distance_m(0, 0, 1, 0) == pytest.approx(METERS_PER_DEG_LAT, rel=1e-3)


def test_one_trip_between_two_stops() -> None:
    fixes = drive(parked(0, 600, 0) + moving(610, 1210, 0, 36) + parked(1220, 1800, 6000))
    trips, stops = trips_and_stops(fixes, SETTINGS)
    assert len(trips) == 1
    trip = trips[0]
    assert trip.start.time == START + timedelta(seconds=600)  # last still fix before leaving
    assert trip.end.time == START + timedelta(seconds=1220)  # first still fix of the stop
    assert trip.distance_m == pytest.approx(6000, rel=0.01)
    assert trip.max_speed_kmh == 36
    assert [round(s.duration_s) for s in stops] == [600, 570]  # the last parked fix is at 1790 s


def test_short_standstill_is_idle_not_a_stop() -> None:
    fixes = drive(
        parked(0, 300, 0)
        + moving(310, 610, 0, 36)
        + parked(620, 740, 3000, step=20)  # 2 minutes at a traffic light
        + moving(750, 1050, 3000, 36)
        + parked(1060, 1500, 6000)
    )
    trips, _ = trips_and_stops(fixes, SETTINGS)
    assert len(trips) == 1
    assert trips[0].idle_s == pytest.approx(130, abs=10)


def test_gps_drift_at_a_stop_is_no_trip() -> None:
    drift = [(s, (s % 50) * 2.0, 6.0 if s % 60 == 0 else 0.0) for s in range(0, 3600, 30)]
    trips, stops = trips_and_stops(drive(drift), SETTINGS)
    assert trips == [] and len(stops) == 1


def test_a_data_gap_ends_the_trip() -> None:
    fixes = drive(parked(0, 300, 0) + moving(310, 610, 0, 36) + moving(5000, 5300, 9000, 36))
    trips, _ = trips_and_stops(fixes, SETTINGS)
    assert trips[0].end.time == START + timedelta(seconds=610)
    assert len(trips) == 2


def test_streaming_reports_start_and_end() -> None:
    detector = TripDetector(SETTINGS)
    changes = [
        detector.feed(fix)
        for fix in drive(parked(0, 300, 0) + moving(310, 610, 0, 36) + parked(620, 1000, 3000))
    ]
    starts = [start for start, _ in changes if start is not None]
    ends = [end for _, end in changes if end is not None]
    assert len(starts) == 1 and len(ends) == 1
    assert not detector.moving
