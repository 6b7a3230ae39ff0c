"""Request and response bodies of the weather API. Unknown fields are refused."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from warroom.core.schemas import Strict, not_null
from warroom.weather.quantities import QUANTITIES, StationKind

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{1,39}$"


class LevelThresholds(Strict):
    """Water-level flood stages in metres: waspada < siaga < awas (any may be unset)."""

    level_watch_m: float | None = Field(default=None, description="Waspada (watch) level.")
    level_alert_m: float | None = Field(default=None, description="Siaga (alert) level.")
    level_danger_m: float | None = Field(default=None, description="Awas (danger) level.")

    @model_validator(mode="after")
    def _ordered(self) -> LevelThresholds:
        levels = [v for v in (self.level_watch_m, self.level_alert_m, self.level_danger_m) if v]
        if levels != sorted(levels):
            raise ValueError("water levels must rise from waspada to siaga to awas")
        return self


class StationCreate(LevelThresholds):
    code: str = Field(pattern=CODE_PATTERN, description="Code the station publishes under.")
    name: str = Field(min_length=2, max_length=120)
    kind: StationKind
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    elevation_m: float | None = Field(default=None, ge=-100, le=9000)
    agency_code: str | None = Field(default=None, max_length=30)
    interval_seconds: int = Field(default=300, ge=10, le=86_400, description="Report interval.")
    quantities: list[str] | None = Field(
        default=None, description="What it measures; default by kind.", min_length=1
    )

    @model_validator(mode="after")
    def _known_quantities(self) -> StationCreate:
        unknown = sorted(set(self.quantities or ()) - set(QUANTITIES))
        if unknown:
            raise ValueError(f"unknown quantities {unknown}; known: {sorted(QUANTITIES)}")
        return self


class StationUpdate(LevelThresholds):
    name: str | None = Field(default=None, min_length=2, max_length=120)
    active: bool | None = None
    interval_seconds: int | None = Field(default=None, ge=10, le=86_400)

    _present = not_null("name", "active", "interval_seconds")


class DatastreamRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    station_id: int
    quantity: str
    unit: str
    valid_min: float
    valid_max: float


class LatestValue(BaseModel):
    quantity: str
    unit: str
    value: float
    observed_at: datetime
    age_seconds: float
    flags: list[str]


class StationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    kind: str
    lat: float
    lon: float
    elevation_m: float | None
    kecamatan_code: str | None
    kecamatan_name: str | None
    kecamatan_approximate: bool
    agency_code: str | None
    interval_seconds: int
    level_watch_m: float | None
    level_alert_m: float | None
    level_danger_m: float | None
    active: bool


class StationLatest(StationRead):
    latest: list[LatestValue] = []


class ObservationIn(Strict):
    """One station report: when, and a value per quantity (MQTT payload or HTTP body)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    observed_at: AwareDatetime = Field(description="ISO 8601 with offset, e.g. ...+08:00.")
    values: dict[str, float] = Field(min_length=1, max_length=20)


class StationReport(ObservationIn):
    station: str = Field(pattern=CODE_PATTERN)


class DatastreamRef(Strict):
    iot_id: int = Field(alias="@iot.id")


class SensorThingsObservation(Strict):
    """A SensorThings Observation: phenomenonTime, result and the Datastream it belongs to."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, populate_by_name=True)

    phenomenon_time: AwareDatetime = Field(alias="phenomenonTime")
    result: float
    datastream: DatastreamRef = Field(alias="Datastream")


class IngestReport(BaseModel):
    accepted: int = Field(description="Readings stored (flagged ones included).")
    flagged: int = Field(description="Stored readings that carry quality flags.")
    rejected: list[str] = Field(description="Why readings were refused (unknown quantity ...).")


class ObservationRead(BaseModel):
    observed_at: datetime
    value: float
    flags: list[str]


class AlertRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    key: str
    kind: str
    level: str
    title: str
    kecamatan: list[dict[str, Any]]
    kecamatan_approximate: bool
    station_id: int | None
    value: float | None
    lat: float | None
    lon: float | None
    opened_at: datetime
    expires_at: datetime | None
    closed_at: datetime | None


class EarthquakeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    occurred_at: datetime
    lat: float
    lon: float
    magnitude: float
    depth_km: float | None
    region: str
    felt: str
    potential: str
    distance_km: float
    feed: str


class FeedStatus(BaseModel):
    name: str
    url: str
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    age_seconds: float | None = Field(description="Age of the last good data.")
    last_error: str | None
    ok: bool


class NormalSet(Strict):
    quantity: str
    month: int = Field(ge=1, le=12)
    value: float
    source: str = Field(min_length=2, max_length=200, description="e.g. 'BMKG normal 1991-2020'.")


class DailyStat(BaseModel):
    day: date
    count: int
    total: float
    mean: float
    min: float
    max: float


class MonthlyStat(BaseModel):
    month: str  # YYYY-MM
    days: int
    value: float = Field(description="Monthly total for rain, mean of daily means otherwise.")
    normal: float | None
    anomaly: float | None = Field(description="value - normal")
    normal_source: str | None


Aggregation = Literal["daily", "monthly"]
