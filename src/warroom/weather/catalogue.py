"""The stations and datastreams the ingest pipeline knows, loaded from the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.weather.kecamatan import Kecamatan
from warroom.weather.models import WeatherDatastream, WeatherStation
from warroom.weather.qc import QcRules
from warroom.weather.thresholds import StationFacts


@dataclass(frozen=True)
class Stream:
    id: int
    quantity: str
    rules: QcRules


@dataclass(frozen=True)
class Station:
    facts: StationFacts
    active: bool
    streams: dict[str, Stream]


def load(session: Session, *, stuck_count: int, gap_factor: float) -> dict[str, Station]:
    """Every station by code, with QC rules per datastream."""
    streams: dict[int, dict[str, Stream]] = {}
    stations = {s.id: s for s in session.scalars(select(WeatherStation))}
    for ds in session.scalars(select(WeatherDatastream)):
        station = stations[ds.station_id]
        rules = QcRules(
            valid_min=ds.valid_min,
            valid_max=ds.valid_max,
            interval=timedelta(seconds=station.interval_seconds),
            stuck_count=stuck_count,
            gap_factor=gap_factor,
            quantity=ds.quantity,
        )
        streams.setdefault(ds.station_id, {})[ds.quantity] = Stream(ds.id, ds.quantity, rules)
    return {s.code: Station(_facts(s), s.active, streams.get(s.id, {})) for s in stations.values()}


def _facts(station: WeatherStation) -> StationFacts:
    kecamatan = (
        Kecamatan(
            station.kecamatan_code,
            station.kecamatan_name or station.kecamatan_code,
            station.kecamatan_approximate,
        )
        if station.kecamatan_code
        else None
    )
    return StationFacts(
        id=station.id,
        code=station.code,
        name=station.name,
        lat=station.lat,
        lon=station.lon,
        kecamatan=kecamatan,
        level_watch_m=station.level_watch_m,
        level_alert_m=station.level_alert_m,
        level_danger_m=station.level_danger_m,
    )
