"""Weather JSON API: stations and latest values, ingestion, alerts, BMKG feeds, climate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from warroom.core.clock import utcnow
from warroom.core.db import Database
from warroom.core.errors import InvalidInputError
from warroom.core.http import DbDep, actor_for, notify_outbox
from warroom.core.security.guard import require
from warroom.core.security.permissions import Permission, Principal
from warroom.weather import climate, feeds, service
from warroom.weather.ingest import Ingestor
from warroom.weather.pages import router as pages_router
from warroom.weather.schemas import (
    AlertRead,
    DailyStat,
    EarthquakeRead,
    FeedStatus,
    IngestReport,
    MonthlyStat,
    NormalSet,
    ObservationRead,
    StationCreate,
    StationLatest,
    StationRead,
    StationReport,
    StationUpdate,
)
from warroom.weather.sensorthings import router as sensorthings_router

api = APIRouter(prefix="/api/weather", tags=["weather"])
Reader = Annotated[Principal, require(Permission.WEATHER_READ)]
Manager = Annotated[Principal, require(Permission.WEATHER_MANAGE)]
Device = Annotated[Principal, require(Permission.DEVICE_INGEST)]


def agency_of(principal: Principal) -> str | None:
    """Partners see their agency's stations only."""
    return principal.agency_filter()


def ingestor_of(request: Request) -> Ingestor:
    ingestor: Ingestor = request.app.state.weather_ingestor
    return ingestor


@api.get("/stations", response_model=list[StationLatest])
def list_stations(db: DbDep, me: Reader) -> list[StationLatest]:
    """Every station with its latest value per quantity and the value's age."""
    with db.read() as session:
        return service.stations_with_latest(session, agency=agency_of(me))


@api.post("/stations", response_model=StationRead, status_code=201)
def create_station(body: StationCreate, request: Request, db: DbDep, me: Manager) -> StationRead:
    with db.write() as session:
        station = service.create_station(session, data=body, actor=actor_for(request, me))
        result = StationRead.model_validate(station)
    ingestor_of(request).invalidate()
    notify_outbox(request)
    return result


@api.get("/stations/{station_id}", response_model=StationLatest)
def get_station(station_id: int, db: DbDep, me: Reader) -> StationLatest:
    with db.read() as session:
        service.get_station(session, station_id=station_id, agency=agency_of(me))
        stations = service.stations_with_latest(session, agency=agency_of(me))
    return next(s for s in stations if s.id == station_id)


@api.patch("/stations/{station_id}", response_model=StationRead)
def update_station(
    station_id: int, body: StationUpdate, request: Request, db: DbDep, me: Manager
) -> StationRead:
    with db.write() as session:
        station = service.update_station(
            session, station_id=station_id, data=body, actor=actor_for(request, me)
        )
        result = StationRead.model_validate(station)
    ingestor_of(request).invalidate()
    return result


@api.get("/stations/{station_id}/observations", response_model=list[ObservationRead])
def station_observations(
    station_id: int,
    db: DbDep,
    me: Reader,
    quantity: str,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=20_000)] = 5000,
) -> list[ObservationRead]:
    """Readings of one quantity, flags included (default: the last 24 hours)."""
    end = end or utcnow()
    start = start or end - timedelta(hours=24)
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInputError("start and end need a UTC offset, e.g. 2026-11-27T08:00:00+08:00")
    with db.read() as session:
        service.get_station(session, station_id=station_id, agency=agency_of(me))
        stream_id = climate.stream_id(session, station_id, quantity)
        return service.observations(
            session, datastream_id=stream_id, start=start, end=end, limit=limit
        )


def _range(start: date | None, end: date | None, days: int) -> tuple[date, date]:
    end = end or (utcnow() + timedelta(hours=8)).date()
    start = start or end - timedelta(days=days)
    if start > end:
        raise InvalidInputError("start must not be after end")
    return start, end


def _csv(rows: list[Any], name: str) -> Response:
    return Response(
        climate.to_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@dataclass
class ClimateQuery:
    """The query both climate endpoints take (FastAPI reads the fields as query parameters)."""

    quantity: str = "rain_mm"
    start: date | None = None
    end: date | None = None
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json"


Climate = Annotated[ClimateQuery, Depends()]


def _station_climate(
    db: Database,
    me: Principal,
    station_id: int,
    query: ClimateQuery,
    default_days: int,
    aggregate: Callable[..., list[Any]],
    name: str,
) -> Any:
    """One station's aggregates, as JSON rows or (``format=csv``) a CSV download."""
    first, last = _range(query.start, query.end, default_days)
    with db.read() as session:
        station = service.get_station(session, station_id=station_id, agency=agency_of(me))
        rows = aggregate(
            session, station_id=station_id, quantity=query.quantity, start=first, end=last
        )
    if query.format == "csv":
        return _csv(rows, f"{station.code}-{query.quantity}-{name}")
    return rows


@api.get("/stations/{station_id}/daily", response_model=list[DailyStat])
def station_daily(station_id: int, db: DbDep, me: Reader, query: Climate) -> Any:
    """Daily aggregates (WITA days, good readings only); ``format=csv`` to download."""
    return _station_climate(db, me, station_id, query, 30, climate.station_daily, "daily")


@api.get("/stations/{station_id}/monthly", response_model=list[MonthlyStat])
def station_monthly(station_id: int, db: DbDep, me: Reader, query: Climate) -> Any:
    """Monthly totals (rain) or means with the normal and the anomaly."""
    return _station_climate(db, me, station_id, query, 365, climate.station_monthly, "monthly")


@api.put("/stations/{station_id}/normals", status_code=204)
def set_normal(station_id: int, body: NormalSet, request: Request, db: DbDep, me: Manager) -> None:
    with db.write() as session:
        service.set_normal(session, station_id=station_id, data=body, actor=actor_for(request, me))


@api.get("/kecamatan/{code}/daily", response_model=list[climate.KecamatanDay])
def kecamatan_daily(
    code: str,
    db: DbDep,
    _: Reader,
    quantity: str = "rain_mm",
    start: date | None = None,
    end: date | None = None,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> Any:
    first, last = _range(start, end, 30)
    with db.read() as session:
        rows = climate.kecamatan_daily(
            session, kecamatan_code=code, quantity=quantity, start=first, end=last
        )
    return _csv(rows, f"kecamatan-{code}-{quantity}-daily") if format == "csv" else rows


@api.post("/observations", response_model=IngestReport)
def ingest_reports(
    body: StationReport | list[StationReport], request: Request, _: Device
) -> IngestReport:
    """Station reports over HTTP (one object or a list), stored before the answer is sent."""
    reports = body if isinstance(body, list) else [body]
    result = ingestor_of(request).ingest([(r.station, r) for r in reports])
    for reason in result.rejected:
        request.app.state.weather_rejections.add("http", "", reason)
    if result.rejected and not result.accepted:
        raise InvalidInputError("; ".join(result.rejected[:5]))
    notify_outbox(request)
    return result


@api.get("/alerts", response_model=list[AlertRead])
def list_alerts(
    db: DbDep,
    me: Reader,
    open_only: Annotated[bool, Query(alias="open")] = True,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AlertRead]:
    with db.read() as session:
        rows = service.list_alerts(session, open_only=open_only, limit=limit, agency=agency_of(me))
        return [AlertRead.model_validate(a) for a in rows]


@api.get("/earthquakes", response_model=list[EarthquakeRead])
def list_earthquakes(
    db: DbDep, _: Reader, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[EarthquakeRead]:
    with db.read() as session:
        return [EarthquakeRead.model_validate(q) for q in feeds.earthquakes(session, limit)]


@api.get("/warnings.geojson")
def active_warnings(db: DbDep, _: Reader, include_expired: bool = False) -> dict[str, Any]:
    """CAP warnings as a GeoJSON FeatureCollection (current ones by default)."""
    with db.read() as session:
        return feeds.warnings_geojson(session, include_expired=include_expired)


@api.get("/feeds", response_model=list[FeedStatus])
def feed_status(db: DbDep, _: Reader) -> list[FeedStatus]:
    """Each BMKG feed: when it last worked, the age of its data and its last error."""
    with db.read() as session:
        return feeds.statuses(session)


@api.get("/forecast")
def forecasts(db: DbDep, _: Reader) -> list[dict[str, Any]]:
    """The last good BMKG forecast of each configured kelurahan, with its age."""
    with db.read() as session:
        return feeds.forecasts(session)


@api.get("/ingest/status")
def ingest_status(request: Request, _: Manager) -> dict[str, Any]:
    """Whether the MQTT listener is connected, and the latest refused payloads with reasons."""
    listener = getattr(request.app.state, "weather_listener", None)
    rejections = request.app.state.weather_rejections
    return {
        "mqtt": None
        if listener is None
        else {"connected": listener.connected.is_set(), "batches": listener.batches},
        "rejected_total": rejections.total,
        "recent_rejections": [r.__dict__ for r in rejections.recent()[:50]],
    }


# One router for the app: included routers keep their full paths (no prefix added here).
router = APIRouter()
router.include_router(api)
router.include_router(sensorthings_router)
router.include_router(pages_router)
