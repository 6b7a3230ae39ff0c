"""Weather operations: stations and datastreams, readings, alerts and normals.

Keyword-only functions taking the caller's session; they never commit.
"""

from __future__ import annotations

from datetime import datetime

import h3  # type: ignore[import-untyped, unused-ignore]
from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.core import audit, outbox
from warroom.core.audit import Actor
from warroom.core.clock import utcnow
from warroom.core.errors import ConflictError, InvalidInputError, NotFoundError
from warroom.weather import qc
from warroom.weather.events import StationRegistered
from warroom.weather.kecamatan import locate
from warroom.weather.models import (
    WeatherAlert,
    WeatherDatastream,
    WeatherLatest,
    WeatherNormal,
    WeatherObservation,
    WeatherStation,
)
from warroom.weather.quantities import DEFAULT_QUANTITIES, QUANTITIES
from warroom.weather.schemas import (
    LatestValue,
    NormalSet,
    ObservationRead,
    StationCreate,
    StationLatest,
    StationRead,
    StationUpdate,
)

H3_RESOLUTION = 9  # cells of about 0.1 km², fine enough to group stations by street block


def create_station(session: Session, *, data: StationCreate, actor: Actor) -> WeatherStation:
    if session.scalar(select(WeatherStation.id).where(WeatherStation.code == data.code)):
        raise ConflictError(f"a station with code {data.code!r} already exists")
    place = locate(session, data.lat, data.lon)
    station = WeatherStation(
        **data.model_dump(exclude={"quantities"}),
        h3_cell=h3.latlng_to_cell(data.lat, data.lon, H3_RESOLUTION),
        kecamatan_code=place.code if place else None,
        kecamatan_name=place.name if place else None,
        kecamatan_approximate=place.approximate if place else True,
    )
    session.add(station)
    session.flush()
    for quantity in data.quantities or DEFAULT_QUANTITIES[data.kind]:
        spec = QUANTITIES[quantity]
        session.add(
            WeatherDatastream(
                station_id=station.id,
                quantity=quantity,
                unit=spec.unit,
                valid_min=spec.valid_min,
                valid_max=spec.valid_max,
            )
        )
    detail = data.model_dump(mode="json")
    audit.record(
        session,
        actor=actor,
        action="weather.station_created",
        target_type="weather_station",
        target_id=station.id,
        detail=detail,
    )
    outbox.enqueue(
        session,
        StationRegistered(
            station_id=station.id,
            code=station.code,
            kind=station.kind,
            kecamatan_code=station.kecamatan_code,
        ),
    )
    return station


def update_station(
    session: Session, *, station_id: int, data: StationUpdate, actor: Actor
) -> WeatherStation:
    station = get_station(session, station_id=station_id)
    changes = data.model_dump(exclude_unset=True)
    merged = {
        key: changes.get(key, getattr(station, key))
        for key in ("level_watch_m", "level_alert_m", "level_danger_m")
    }
    levels = [v for v in merged.values() if v is not None]
    if levels != sorted(levels):
        raise InvalidInputError("water levels must rise from waspada to siaga to awas")
    for key, value in changes.items():
        setattr(station, key, value)
    audit.record(
        session,
        actor=actor,
        action="weather.station_updated",
        target_type="weather_station",
        target_id=station.id,
        detail=changes,
    )
    return station


def get_station(session: Session, *, station_id: int, agency: str | None = None) -> WeatherStation:
    station = session.get(WeatherStation, station_id)
    if station is None or (agency is not None and station.agency_code != agency):
        raise NotFoundError(f"no weather station with id {station_id}")
    return station


def list_stations(session: Session, *, agency: str | None = None) -> list[WeatherStation]:
    query = select(WeatherStation).order_by(WeatherStation.code)
    if agency is not None:
        query = query.where(WeatherStation.agency_code == agency)
    return list(session.scalars(query))


def list_datastreams(session: Session, *, station_id: int) -> list[WeatherDatastream]:
    return list(
        session.scalars(
            select(WeatherDatastream)
            .where(WeatherDatastream.station_id == station_id)
            .order_by(WeatherDatastream.quantity)
        )
    )


def get_datastream(session: Session, *, datastream_id: int) -> WeatherDatastream:
    stream = session.get(WeatherDatastream, datastream_id)
    if stream is None:
        raise NotFoundError(f"no datastream with id {datastream_id}")
    return stream


def stations_with_latest(
    session: Session, *, agency: str | None = None, now: datetime | None = None
) -> list[StationLatest]:
    """Every station with the newest reading of each quantity and its age."""
    now = now or utcnow()
    stations = list_stations(session, agency=agency)
    rows = session.execute(
        select(
            WeatherDatastream.station_id,
            WeatherDatastream.quantity,
            WeatherDatastream.unit,
            WeatherLatest.value,
            WeatherLatest.observed_at,
            WeatherLatest.qc_flags,
        ).join(WeatherLatest, WeatherLatest.datastream_id == WeatherDatastream.id)
    ).all()
    latest: dict[int, list[LatestValue]] = {}
    for row in rows:
        latest.setdefault(row.station_id, []).append(
            LatestValue(
                quantity=row.quantity,
                unit=row.unit,
                value=row.value,
                observed_at=row.observed_at,
                age_seconds=round((now - row.observed_at).total_seconds(), 1),
                flags=qc.flag_names(row.qc_flags),
            )
        )
    return [
        StationLatest(
            **StationRead.model_validate(s).model_dump(),
            latest=sorted(latest.get(s.id, []), key=lambda v: v.quantity),
        )
        for s in stations
    ]


def observations(
    session: Session, *, datastream_id: int, start: datetime, end: datetime, limit: int
) -> list[ObservationRead]:
    rows = session.execute(
        select(
            WeatherObservation.observed_at, WeatherObservation.value, WeatherObservation.qc_flags
        )
        .where(
            WeatherObservation.datastream_id == datastream_id,
            WeatherObservation.observed_at >= start,
            WeatherObservation.observed_at < end,
        )
        .order_by(WeatherObservation.observed_at)
        .limit(limit)
    )
    return [
        ObservationRead(observed_at=r.observed_at, value=r.value, flags=qc.flag_names(r.qc_flags))
        for r in rows
    ]


def list_alerts(
    session: Session, *, open_only: bool, limit: int, agency: str | None = None
) -> list[WeatherAlert]:
    query = select(WeatherAlert).order_by(WeatherAlert.opened_at.desc()).limit(limit)
    if open_only:
        query = query.where(WeatherAlert.closed_at.is_(None))
    if agency is not None:  # partners: city-wide alerts and those of their agency's stations
        own = select(WeatherStation.id).where(WeatherStation.agency_code == agency)
        query = query.where(WeatherAlert.station_id.is_(None) | WeatherAlert.station_id.in_(own))
    return list(session.scalars(query))


def set_normal(
    session: Session, *, station_id: int, data: NormalSet, actor: Actor
) -> WeatherNormal:
    get_station(session, station_id=station_id)
    if data.quantity not in QUANTITIES:
        raise InvalidInputError(f"unknown quantity {data.quantity!r}")
    normal = session.scalars(
        select(WeatherNormal).where(
            WeatherNormal.station_id == station_id,
            WeatherNormal.quantity == data.quantity,
            WeatherNormal.month == data.month,
        )
    ).first()
    if normal is None:
        normal = WeatherNormal(station_id=station_id, **data.model_dump())
        session.add(normal)
    else:
        normal.value, normal.source = data.value, data.source
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="weather.normal_set",
        target_type="weather_station",
        target_id=station_id,
        detail=data.model_dump(),
    )
    return normal
