"""Events the emergency domain publishes. ``agency_code`` scopes an event for partners: they
see the events about units of their agency and the incidents those units are sent to."""

from __future__ import annotations

from warroom.core.bus.events import Event


class CallReceived(Event):
    topic = "emergency.call_received"
    call_id: int
    call_type: str
    incident_id: int | None
    answer_seconds: float


class IncidentCreated(Event):
    topic = "emergency.incident_created"
    incident_id: int
    type: str
    priority: int
    lat: float
    lon: float
    kecamatan: str | None


class IncidentStatusChanged(Event):
    topic = "emergency.incident_status_changed"
    incident_id: int
    status: str
    previous: str
    agency_code: str | None = None


class UnitAssigned(Event):
    topic = "emergency.unit_assigned"
    incident_id: int
    unit_id: int
    callsign: str
    agency_code: str
    eta_s: float | None


class UnitStatusChanged(Event):
    topic = "emergency.unit_status_changed"
    unit_id: int
    callsign: str
    status: str
    previous: str
    incident_id: int | None
    agency_code: str


class TargetBreached(Event):
    """A response target was missed (or an open incident has already passed it)."""

    topic = "emergency.target_breached"
    incident_id: int | None
    call_id: int | None
    metric: str
    priority: int | None
    limit_s: float
    actual_s: float


class WarningPublished(Event):
    topic = "emergency.warning_published"
    warning_id: int
    identifier: str
    headline: str
    severity: str
