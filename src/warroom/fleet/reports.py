"""Fleet reports over stored positions: route, trips, stops, summary and geofence visits.

Computed from the positions table on request (never from the live state), so buffered,
out-of-order data is counted where it belongs in time. Rows are flat dicts with times in
WITA (UTC+8), ready for JSON, CSV or XLSX (see `export`).

The summary is the sum of the vehicle's trips (see `motion`): distance, driving time, idle
time, average and top speed all come from the trips, as the trips report shows them. A GPS
fix wanders a few metres while the vehicle stands, so adding the distance between every pair
of fixes would count a parked day as tens of kilometres and inflate the average speed; a
trip only starts once the vehicle leaves a radius (`trip_min_distance_m`, 200 m as in Traccar),
so drift never counts. `positions` still counts every valid fix of the period.

A report reads at most `MAX_REPORT_POSITIONS` fixes, all in the web worker's memory; a
larger one is refused with a 422 that says how to narrow it, before any fix is loaded.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from warroom.core.errors import InvalidInputError
from warroom.fleet.fences import FenceSet
from warroom.fleet.models import Position, Vehicle
from warroom.fleet.motion import Fix, MotionSettings, Trip, trips_and_stops

WITA = timezone(timedelta(hours=8), "WITA")
MAX_PERIOD = timedelta(days=93)
# A day of 25 vehicles at a fix every 10 s; a route report this size peaked at 150 MB of
# Python objects (tracemalloc, SQLite, before the JSON encoding), summaries at 100 MB.
MAX_REPORT_POSITIONS = 250_000
ReportKind = Literal["route", "trips", "stops", "summary", "geofences"]
REPORT_KINDS: tuple[ReportKind, ...] = ("route", "trips", "stops", "summary", "geofences")


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise InvalidInputError("the period must end after it starts")
        if self.end - self.start > MAX_PERIOD:
            raise InvalidInputError(f"a report covers at most {MAX_PERIOD.days} days")


def wita(moment: datetime) -> str:
    return moment.astimezone(WITA).isoformat(timespec="seconds")


def select_vehicles(
    session: Session, *, vehicle_ids: list[int], agency: str | None, group: str | None
) -> list[Vehicle]:
    """The vehicles a report covers: the listed ones, or a whole agency (`group`)."""
    query = select(Vehicle).order_by(Vehicle.plate)
    if vehicle_ids:
        query = query.where(Vehicle.id.in_(vehicle_ids))
    elif group:
        query = query.where(Vehicle.agency_code == group)
    else:
        raise InvalidInputError("name vehicle_id (one or more) or group (an agency code)")
    if agency is not None:
        query = query.where(Vehicle.agency_code == agency)
    vehicles = list(session.scalars(query))
    if not vehicles:
        raise InvalidInputError("no vehicle of yours matches")
    return vehicles


def _valid_in(vehicle_ids: Sequence[int], period: Period) -> list[ColumnElement[bool]]:
    return [
        Position.vehicle_id.in_(vehicle_ids),
        Position.time >= period.start,
        Position.time < period.end,
        Position.valid.is_(True),
    ]


def _check_size(session: Session, vehicles: list[Vehicle], period: Period) -> None:
    """Refuse a report over more than MAX_REPORT_POSITIONS fixes, before loading any."""
    where = _valid_in([vehicle.id for vehicle in vehicles], period)
    count = session.scalar(select(func.count()).select_from(Position).where(*where)) or 0
    if count > MAX_REPORT_POSITIONS:
        raise InvalidInputError(
            f"this report would read {count:,} positions, more than the {MAX_REPORT_POSITIONS:,}"
            " one report may: choose a shorter period or fewer vehicles (for an agency, "
            "name some of its vehicles with vehicle_id)"
        )


def _fixes(session: Session, vehicle_id: int, period: Period) -> list[tuple[Any, ...]]:
    query = (
        select(Position.time, Position.lat, Position.lon, Position.speed_kmh, Position.course)
        .where(*_valid_in([vehicle_id], period))
        .order_by(Position.time, Position.id)
    )
    return [tuple(row) for row in session.execute(query)]


def build_report(
    session: Session,
    *,
    kind: ReportKind,
    vehicles: list[Vehicle],
    period: Period,
    settings: MotionSettings,
    fences: FenceSet,
) -> list[dict[str, Any]]:
    _check_size(session, vehicles, period)
    rows: list[dict[str, Any]] = []
    for vehicle in vehicles:
        raw = _fixes(session, vehicle.id, period)
        label = {"vehicle_id": vehicle.id, "plate": vehicle.plate}
        rows.extend({**label, **row} for row in _rows(kind, raw, settings, fences))
    return rows


def _rows(
    kind: ReportKind, raw: list[tuple[Any, ...]], settings: MotionSettings, fences: FenceSet
) -> Iterator[dict[str, Any]]:
    if kind == "route":
        for time, lat, lon, speed, course in raw:
            yield {"time": wita(time), "lat": lat, "lon": lon, "speed_kmh": speed, "course": course}
        return
    if kind == "geofences":
        yield from _visits(raw, fences)
        return
    fixes = [Fix(time, lat, lon, speed) for time, lat, lon, speed, _ in raw]
    trips, stops = trips_and_stops(fixes, settings)
    if kind == "trips":
        for trip in trips:
            yield {
                "start_time": wita(trip.start.time),
                "end_time": wita(trip.end.time),
                "start_lat": trip.start.lat,
                "start_lon": trip.start.lon,
                "end_lat": trip.end.lat,
                "end_lon": trip.end.lon,
                "distance_km": round(trip.distance_m / 1000, 3),
                "duration_s": round(trip.duration_s),
                "idle_s": round(trip.idle_s),
                "max_speed_kmh": round(trip.max_speed_kmh, 1),
                "average_speed_kmh": round(trip.average_speed_kmh, 1),
            }
    elif kind == "stops":
        for stop in stops:
            yield {
                "start_time": wita(stop.start.time),
                "end_time": wita(stop.end_time),
                "lat": stop.start.lat,
                "lon": stop.start.lon,
                "duration_s": round(stop.duration_s),
            }
    else:
        yield _summary(len(fixes), trips)


def _summary(positions: int, trips: list[Trip]) -> dict[str, Any]:
    """The period's trips added up (see the module docstring for why not every fix)."""
    distance = sum(trip.distance_m for trip in trips)
    idle = sum(trip.idle_s for trip in trips)
    driving = sum(trip.duration_s for trip in trips) - idle
    top = max((trip.max_speed_kmh for trip in trips), default=None)
    return {
        "positions": positions,
        "distance_km": round(distance / 1000, 3),
        "trips": len(trips),
        "driving_s": round(driving),
        "idle_s": round(idle),
        "max_speed_kmh": round(top, 1) if top is not None else None,
        "average_speed_kmh": round(distance / driving * 3.6, 1) if driving > 0 else None,
    }


def _visits(raw: list[tuple[Any, ...]], fences: FenceSet) -> Iterator[dict[str, Any]]:
    """Enter and exit of each geofence, from consecutive fixes inside it."""
    open_visits: dict[int, datetime] = {}
    last_time: datetime | None = None
    each = fences.inside_each([row[1] for row in raw], [row[2] for row in raw])
    for (time, *_), inside in zip(raw, each, strict=True):
        for fence in sorted(inside - open_visits.keys()):
            open_visits[fence] = time
        for fence in sorted(open_visits.keys() - inside):
            yield _visit(fences, fence, open_visits.pop(fence), time)
        last_time = time
    for fence, entered in sorted(open_visits.items()):
        assert last_time is not None
        yield _visit(fences, fence, entered, last_time)


def _visit(fences: FenceSet, fence: int, entered: datetime, left: datetime) -> dict[str, Any]:
    return {
        "geofence_id": fence,
        "geofence": fences.names.get(fence, ""),
        "enter_time": wita(entered),
        "exit_time": wita(left),
        "duration_s": round((left - entered).total_seconds()),
    }
