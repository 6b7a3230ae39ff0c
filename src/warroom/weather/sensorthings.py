"""A read and ingest API in the spirit of OGC SensorThings v1.0: Things (stations), their
Datastreams and Observations, with ``@iot.id`` / ``@iot.selfLink`` and ``value`` envelopes.

It is a subset (no $filter/$expand): enough for SensorThings-minded devices to post
observations and for clients to browse the stations.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from warroom.core.clock import utcnow
from warroom.core.errors import InvalidInputError
from warroom.core.http import DbDep, notify_outbox
from warroom.core.security.guard import require
from warroom.core.security.permissions import Permission, Principal
from warroom.weather import service
from warroom.weather.ingest import Ingestor
from warroom.weather.models import WeatherDatastream, WeatherStation
from warroom.weather.schemas import IngestReport, ObservationIn, SensorThingsObservation

BASE = "/api/weather/v1.0"
router = APIRouter(prefix=BASE, tags=["weather"])
Reader = Annotated[Principal, require(Permission.WEATHER_READ)]
Device = Annotated[Principal, require(Permission.DEVICE_INGEST)]


def _thing(station: WeatherStation) -> dict[str, Any]:
    return {
        "@iot.id": station.id,
        "@iot.selfLink": f"{BASE}/Things({station.id})",
        "name": station.code,
        "description": station.name,
        "properties": {
            "kind": station.kind,
            "kecamatan_code": station.kecamatan_code,
            "kecamatan_approximate": station.kecamatan_approximate,
        },
        "Locations": [
            {
                "encodingType": "application/geo+json",
                "location": {"type": "Point", "coordinates": [station.lon, station.lat]},
            }
        ],
        "Datastreams@iot.navigationLink": f"{BASE}/Things({station.id})/Datastreams",
    }


def _datastream(stream: WeatherDatastream) -> dict[str, Any]:
    return {
        "@iot.id": stream.id,
        "@iot.selfLink": f"{BASE}/Datastreams({stream.id})",
        "name": stream.quantity,
        "unitOfMeasurement": {"name": stream.quantity, "symbol": stream.unit},
        "properties": {"valid_min": stream.valid_min, "valid_max": stream.valid_max},
        "Thing@iot.navigationLink": f"{BASE}/Things({stream.station_id})",
        "Observations@iot.navigationLink": f"{BASE}/Datastreams({stream.id})/Observations",
    }


@router.get("/Things")
def things(db: DbDep, _: Reader) -> dict[str, Any]:
    with db.read() as session:
        return {"value": [_thing(s) for s in service.list_stations(session)]}


@router.get("/Things({thing_id})")
def thing(thing_id: int, db: DbDep, _: Reader) -> dict[str, Any]:
    with db.read() as session:
        return _thing(service.get_station(session, station_id=thing_id))


@router.get("/Things({thing_id})/Datastreams")
def thing_datastreams(thing_id: int, db: DbDep, _: Reader) -> dict[str, Any]:
    with db.read() as session:
        service.get_station(session, station_id=thing_id)
        streams = service.list_datastreams(session, station_id=thing_id)
        return {"value": [_datastream(d) for d in streams]}


@router.get("/Datastreams({datastream_id})")
def datastream(datastream_id: int, db: DbDep, _: Reader) -> dict[str, Any]:
    with db.read() as session:
        return _datastream(service.get_datastream(session, datastream_id=datastream_id))


@router.get("/Datastreams({datastream_id})/Observations")
def datastream_observations(
    datastream_id: int,
    db: DbDep,
    _: Reader,
    top: Annotated[int, Query(alias="$top", ge=1, le=10_000)] = 1000,
) -> dict[str, Any]:
    """The last 24 hours of readings, oldest first (``$top`` limits the count)."""
    end = utcnow()
    with db.read() as session:
        service.get_datastream(session, datastream_id=datastream_id)
        rows = service.observations(
            session,
            datastream_id=datastream_id,
            start=end - timedelta(hours=24),
            end=end + timedelta(minutes=10),
            limit=top,
        )
    return {
        "value": [
            {
                "phenomenonTime": r.observed_at.isoformat(),
                "result": r.value,
                "resultQuality": r.flags,
            }
            for r in rows
        ]
    }


@router.post("/Observations", response_model=IngestReport, status_code=201)
def create_observation(
    body: SensorThingsObservation, request: Request, db: DbDep, _: Device
) -> IngestReport:
    with db.read() as session:
        stream = service.get_datastream(session, datastream_id=body.datastream.iot_id)
        station = service.get_station(session, station_id=stream.station_id)
    report = ObservationIn(observed_at=body.phenomenon_time, values={stream.quantity: body.result})
    ingestor: Ingestor = request.app.state.weather_ingestor
    result = ingestor.ingest([(station.code, report)])
    if result.rejected:
        raise InvalidInputError("; ".join(result.rejected))
    notify_outbox(request)
    return result
