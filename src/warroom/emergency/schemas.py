"""Request and response bodies of the emergency API. Unknown fields are refused (422)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from warroom.core.schemas import Strict
from warroom.emergency.lifecycle import IncidentStatus, UnitStatus
from warroom.emergency.taxonomy import CallType, Capability


class Location(Strict):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class CallCreate(Strict):
    """One answered 112 call. Location: an AML message (SMS body or HTTPS form data) wins,
    then ``location`` (map click), then ``address`` (geocoded)."""

    caller_number: str = Field(min_length=1, max_length=40)
    call_type: CallType
    received_at: datetime | None = Field(default=None, description="When the line rang.")
    answered_at: datetime | None = Field(default=None, description="Default: now.")
    incident_type: str | None = Field(default=None, max_length=40)
    location: Location | None = None
    address: str = Field(default="", max_length=300)
    aml: str | None = Field(default=None, max_length=4000, description="Raw AML SMS or HTTPS.")
    language: str = Field(default="id", max_length=10)
    notes: str = Field(default="", max_length=4000)
    answers: dict[str, str] = Field(default_factory=dict, description="Question script.")
    incident_id: int | None = Field(default=None, description="Link to this open incident.")
    create_incident: bool = Field(
        default=True, description="Open an incident for an emergency call not linked to one."
    )
    priority: int | None = Field(default=None, ge=1, le=4)
    description: str = Field(default="", max_length=4000)

    @model_validator(mode="after")
    def _times_in_order(self) -> CallCreate:
        for value in (self.received_at, self.answered_at):
            if value is not None and value.tzinfo is None:
                raise ValueError("times need a timezone offset, e.g. 2026-09-24T15:07:00+08:00")
        if self.received_at and self.answered_at and self.received_at > self.answered_at:
            raise ValueError("received_at must not be after answered_at")
        return self


class CallRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    caller_number: str
    received_at: datetime
    answered_at: datetime
    call_taker: str
    call_type: str
    incident_type: str | None
    lat: float | None
    lon: float | None
    location_source: str
    location_accuracy_m: float | None
    address: str
    language: str
    notes: str
    answers: dict[str, Any]
    incident_id: int | None


class IncidentCreate(Strict):
    type: str = Field(max_length=40)
    location: Location | None = None
    address: str = Field(default="", max_length=300)
    priority: int | None = Field(default=None, ge=1, le=4)
    required_capabilities: list[Capability] | None = None
    description: str = Field(default="", max_length=4000)


class IncidentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    type: str
    priority: int
    status: str
    required_capabilities: list[str]
    lat: float
    lon: float
    address: str
    kelurahan_code: str | None
    kelurahan: str | None
    kecamatan_code: str | None
    kecamatan: str | None
    description: str
    external_id: str | None
    created_by: str
    created_at: datetime
    first_call_at: datetime
    dispatched_at: datetime | None
    arrived_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    breaches: list[str]
    version: int


class TimelineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    actor: str
    kind: str
    text: str
    detail: dict[str, Any]


class AssignmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    incident_id: int
    unit_id: int
    agency_code: str
    assigned_by: str
    assigned_at: datetime
    eta_s: float | None
    acknowledged_at: datetime | None
    en_route_at: datetime | None
    on_scene_at: datetime | None
    cleared_at: datetime | None


class IncidentDetail(IncidentRead):
    timeline: list[TimelineRead]
    calls: list[CallRead]
    assignments: list[AssignmentRead]


class IncidentStatusUpdate(Strict):
    status: IncidentStatus
    note: str = Field(default="", max_length=500)


class NoteCreate(Strict):
    text: str = Field(min_length=1, max_length=500)


class DuplicateRead(BaseModel):
    incident_id: int
    type: str
    status: str
    distance_m: float
    minutes_since_last_call: float


class UnitCreate(Strict):
    callsign: str = Field(min_length=1, max_length=40)
    agency_code: str = Field(max_length=30)
    vehicle_id: int | None = Field(default=None, description="The fleet vehicle it drives.")
    capabilities: list[Capability] = Field(min_length=1)
    location: Location | None = Field(default=None, description="Station, until GPS reports.")


class UnitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    callsign: str
    agency_code: str
    vehicle_id: int | None
    capabilities: list[str]
    status: str
    status_at: datetime
    incident_id: int | None
    lat: float | None
    lon: float | None
    position_at: datetime | None
    version: int


class UnitStatusUpdate(Strict):
    status: UnitStatus


class UnitPosition(Strict):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    at: datetime | None = None


class AssignRequest(Strict):
    unit_ids: list[int] = Field(min_length=1, max_length=20)


class Recommendation(BaseModel):
    unit_id: int
    callsign: str
    agency_code: str
    capabilities: list[str]
    eta_s: float
    distance_m: float
    lat: float
    lon: float


class WarningCreate(Strict):
    headline: str = Field(min_length=3, max_length=200)
    event: str = Field(min_length=2, max_length=120)
    description: str = Field(min_length=3, max_length=4000)
    instruction: str = Field(default="", max_length=2000)
    severity: Literal["Extreme", "Severe", "Moderate", "Minor", "Unknown"]
    urgency: Literal["Immediate", "Expected", "Future", "Past", "Unknown"] = "Immediate"
    certainty: Literal["Observed", "Likely", "Possible", "Unlikely", "Unknown"] = "Observed"
    category: Literal[
        "Geo",
        "Met",
        "Safety",
        "Security",
        "Rescue",
        "Fire",
        "Health",
        "Env",
        "Transport",
        "Infra",
        "CBRNE",
        "Other",
    ] = "Safety"
    area_desc: str = Field(min_length=2, max_length=300)
    polygon: list[Location] | None = Field(default=None, min_length=3)
    circle_km: float | None = Field(default=None, gt=0, le=500)
    center: Location | None = None
    expires_hours: float = Field(default=6, gt=0, le=168)
    incident_id: int | None = None


class WarningRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    identifier: str
    sent_at: datetime
    headline: str
    event: str
    severity: str
    area_desc: str
    incident_id: int | None


class KpiMetric(BaseModel):
    count: int
    mean_s: float | None
    p90_s: float | None
    target: dict[str, float | None]
    met: bool | None


class KpiReport(BaseModel):
    since: datetime
    until: datetime
    agency: str | None
    kecamatan: str | None
    calls: dict[str, int]
    answer: KpiMetric
    by_priority: dict[str, dict[str, KpiMetric]]
