"""Opening an incident, in two steps the group-commit intake (``intake``) runs apart:

1. ``prepare_incident`` checks the type and finds the place and its area. It only reads, so a
   bad request (unknown type, address not found) fails here and leaves the transaction clean.
2. ``insert_prepared`` writes the row with its timeline entry, audit entry and
   ``IncidentCreated`` event, in the caller's transaction.

``create_incident`` does both, for callers that open one incident in a transaction of their
own (an emergency call, an EIDO import, the replay).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import h3  # type: ignore[import-untyped, unused-ignore]
from sqlalchemy.orm import Session

from warroom.core import audit, outbox
from warroom.core.clock import utcnow
from warroom.core.errors import InvalidInputError
from warroom.emergency import locating
from warroom.emergency.aml import parse_aml
from warroom.emergency.events import IncidentCreated
from warroom.emergency.lifecycle import IncidentStatus
from warroom.emergency.models import Incident
from warroom.emergency.rows import insert_incident
from warroom.emergency.schemas import IncidentCreate, Location
from warroom.emergency.taxonomy import INCIDENT_TYPES, incident_type
from warroom.emergency.timeline import add_entry

H3_RESOLUTION = 9  # about 170 m across: the duplicate search looks at a ring of these


@dataclass(frozen=True)
class Located:
    lat: float
    lon: float
    source: str
    accuracy_m: float | None
    address: str


def locate(
    session: Session, *, aml: str | None, location: Location | None, address: str
) -> Located | None:
    """AML first (the handset knows best), then a map click, then the geocoded address."""
    if aml:
        found = parse_aml(aml)
        return Located(found.lat, found.lon, found.transport, found.accuracy_m, address)
    if location is not None:
        return Located(location.lat, location.lon, "map", None, address)
    if address:
        hit = locating.geocode_address(session, address)
        if hit is None:
            raise InvalidInputError(
                f"address {address!r} was not found; click the map or give coordinates"
            )
        return Located(hit.lat, hit.lon, "address", None, address)
    return None


def check_type(code: str) -> None:
    if incident_type(code) is None:
        known = ", ".join(INCIDENT_TYPES)
        raise InvalidInputError(f"unknown incident type {code!r}; known types: {known}")


def prepare_incident(
    session: Session,
    *,
    data: IncidentCreate,
    actor: audit.Actor,
    first_call_at: datetime | None = None,
    at: datetime | None = None,
    located: Located | None = None,
    external_id: str | None = None,
) -> dict[str, Any]:
    """The new incident's column values. Reads only; raises InvalidInputError for a bad
    request."""
    now = at or utcnow()
    check_type(data.type)
    spec = INCIDENT_TYPES[data.type]
    place = located or locate(session, aml=None, location=data.location, address=data.address)
    if place is None:
        raise InvalidInputError("an incident needs a location: coordinates or an address")
    area = locating.area_of(session, place.lat, place.lon)
    capabilities = (
        spec.capabilities if data.required_capabilities is None else data.required_capabilities
    )
    return {
        "type": data.type,
        "priority": data.priority or spec.priority,
        "status": IncidentStatus.NEW.value,
        "required_capabilities": [c.value for c in capabilities],
        "lat": place.lat,
        "lon": place.lon,
        "h3_cell": h3.latlng_to_cell(place.lat, place.lon, H3_RESOLUTION),
        "address": place.address or data.address,
        "kelurahan_code": area.kelurahan_code,
        "kelurahan": area.kelurahan,
        "kecamatan_code": area.kecamatan_code,
        "kecamatan": area.kecamatan,
        "description": data.description,
        "external_id": external_id,
        "created_by": actor.label,
        "created_at": now,
        "first_call_at": first_call_at or now,
        "breaches": [],
        "version": 1,
    }


def insert_prepared(session: Session, *, values: dict[str, Any], actor: audit.Actor) -> Incident:
    """Write a prepared incident with its timeline entry, audit entry and event."""
    incident = insert_incident(session, values)
    summary = {"type": incident.type, "priority": incident.priority}
    add_entry(
        session,
        incident_id=incident.id,
        actor=actor,
        kind="created",
        at=incident.created_at,
        text=f"{INCIDENT_TYPES[incident.type].label} P{incident.priority} opened",
        detail=summary,
    )
    audit.record(
        session,
        actor=actor,
        action="incident.created",
        target_type="incident",
        target_id=incident.id,
        detail=summary,
    )
    outbox.enqueue(
        session,
        IncidentCreated(
            incident_id=incident.id,
            type=incident.type,
            priority=incident.priority,
            lat=incident.lat,
            lon=incident.lon,
            kecamatan=incident.kecamatan,
            occurred_at=incident.created_at,
        ),
    )
    return incident


def create_incident(
    session: Session,
    *,
    data: IncidentCreate,
    actor: audit.Actor,
    first_call_at: datetime | None = None,
    at: datetime | None = None,
    located: Located | None = None,
    external_id: str | None = None,
) -> Incident:
    values = prepare_incident(
        session,
        data=data,
        actor=actor,
        first_call_at=first_call_at,
        at=at,
        located=located,
        external_id=external_id,
    )
    return insert_prepared(session, values=values, actor=actor)
