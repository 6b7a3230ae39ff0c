"""Incidents as EIDO (NENA-STA-021 Emergency Incident Data Object) JSON, out and in.

Export writes one EIDO message per incident: the incident component (tracking id, type and
status as common-registry text, priority), its location component (PIDF-LO point in
``locationByValue``), agency, resource (assigned units) and notes (timeline) components.
Import reads the incident and location components and opens an incident; the sender's
tracking identifier is kept, so importing the same incident twice is refused (409).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.core import audit
from warroom.core.errors import ConflictError, InvalidInputError
from warroom.emergency.cap import cap_time
from warroom.emergency.models import Assignment, Incident, TimelineEntry, Unit
from warroom.emergency.opening import create_incident
from warroom.emergency.schemas import IncidentCreate, Location
from warroom.emergency.taxonomy import INCIDENT_TYPES

SYSTEM_ID = "urn:warroom:makassar:carester112"
_STATUS_TEXT = {
    "new": "Received",
    "dispatched": "Dispatched",
    "en_route": "Enroute",
    "on_scene": "OnScene",
    "transporting": "Transporting",
    "resolved": "Resolved",
    "closed": "Closed",
    "cancelled": "Cancelled",
}
_TYPE_BY_TEXT = {t.label.lower(): t.code for t in INCIDENT_TYPES.values()}
_POS = re.compile(r"<(?:\w+:)?pos>\s*([-+0-9.]+)\s+([-+0-9.]+)\s*</(?:\w+:)?pos>")


def _pidf_point(lat: float, lon: float) -> str:
    return (
        '<presence xmlns="urn:ietf:params:xml:ns:pidf" '
        'xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10" '
        'xmlns:gml="http://www.opengis.net/gml" entity="pres:incident@warroom">'
        '<tuple id="loc"><status><gp:geopriv><gp:location-info>'
        f'<gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>{lat:.6f} {lon:.6f}</gml:pos>'
        "</gml:Point></gp:location-info></gp:geopriv></status></tuple></presence>"
    )


def export_incident(session: Session, *, incident: Incident) -> dict[str, Any]:
    spec = INCIDENT_TYPES[incident.type]
    stamp = cap_time(max(incident.created_at, *(e.at for e in _entries(session, incident))))
    units = session.execute(
        select(Assignment, Unit.callsign)
        .join(Unit, Unit.id == Assignment.unit_id)
        .where(Assignment.incident_id == incident.id)
    ).all()
    loc_id, inc_id = f"loc-{incident.id}", f"inc-{incident.id}"
    return {
        "$id": f"urn:uuid:{uuid.uuid4()}",
        "eidoMessageIdentifier": f"urn:uuid:{uuid.uuid4()}",
        "sendingSystemIdentifier": SYSTEM_ID,
        "lastUpdateTimeStamp": stamp,
        "messageKind": "Report",
        "incidentComponent": [
            {
                "componentIdentifier": inc_id,
                "incidentTrackingIdentifier": incident.external_id or f"{SYSTEM_ID}:{incident.id}",
                "lastUpdateTimeStamp": stamp,
                "incidentTypeCommonRegistryText": spec.label,
                "incidentStatusCommonRegistryText": _STATUS_TEXT[incident.status],
                "incidentCommonPriorityNumber": incident.priority,
                "incidentCreationTimeStamp": cap_time(incident.created_at),
                "locationReference": {"$ref": loc_id},
                "emergencyResourceReference": [{"$ref": f"res-{a.id}"} for a, _ in units],
            }
        ],
        "locationComponent": [
            {
                "componentIdentifier": loc_id,
                "locationByValue": _pidf_point(incident.lat, incident.lon),
                "civicAddressText": incident.address,
                "locationAdministrativeArea": {
                    "kelurahan": incident.kelurahan,
                    "kecamatan": incident.kecamatan,
                    "kecamatanCode": incident.kecamatan_code,
                },
            }
        ],
        "emergencyResourceComponent": [
            {
                "componentIdentifier": f"res-{a.id}",
                "resourceIdentifier": callsign,
                "agencyIdentifier": a.agency_code,
                "dispatchTimeStamp": cap_time(a.assigned_at),
                "onSceneTimeStamp": cap_time(a.on_scene_at) if a.on_scene_at else None,
            }
            for a, callsign in units
        ],
        "notesComponent": [
            {
                "componentIdentifier": f"note-{e.id}",
                "noteDateTimeStamp": cap_time(e.at),
                "noteText": e.text,
                "authorIdentifier": e.actor,
            }
            for e in _entries(session, incident)
        ],
    }


def _entries(session: Session, incident: Incident) -> list[TimelineEntry]:
    return list(
        session.scalars(
            select(TimelineEntry)
            .where(TimelineEntry.incident_id == incident.id)
            .order_by(TimelineEntry.at, TimelineEntry.id)
        )
    )


def _first(message: dict[str, Any], key: str) -> dict[str, Any]:
    items = message.get(key)
    if not isinstance(items, list) or not items or not isinstance(items[0], dict):
        raise InvalidInputError(f"EIDO message has no {key}")
    return items[0]


def _location(message: dict[str, Any], incident: dict[str, Any]) -> Location:
    ref = (incident.get("locationReference") or {}).get("$ref")
    locations = message.get("locationComponent") or []
    match = next((c for c in locations if c.get("componentIdentifier") == ref), None)
    if match is None and locations:
        match = locations[0]
    found = _POS.search(str((match or {}).get("locationByValue", "")))
    if found is None:
        raise InvalidInputError("EIDO location has no PIDF-LO point (gml:pos 'lat lon')")
    return Location(lat=float(found.group(1)), lon=float(found.group(2)))


def import_incident(session: Session, *, message: dict[str, Any], actor: audit.Actor) -> Incident:
    component = _first(message, "incidentComponent")
    tracking = str(component.get("incidentTrackingIdentifier") or "").strip()
    if not tracking:
        raise InvalidInputError("EIDO incident has no incidentTrackingIdentifier")
    if session.scalar(select(Incident.id).where(Incident.external_id == tracking)) is not None:
        raise ConflictError(f"incident {tracking!r} was already imported")
    type_text = str(component.get("incidentTypeCommonRegistryText") or "").lower()
    type_code = _TYPE_BY_TEXT.get(type_text, "other")
    priority = component.get("incidentCommonPriorityNumber")
    location = _location(message, component)
    notes = [str(n.get("noteText", "")) for n in message.get("notesComponent") or []]
    data = IncidentCreate(
        type=type_code,
        location=location,
        priority=priority if isinstance(priority, int) and 1 <= priority <= 4 else None,
        description=f"EIDO from {message.get('sendingSystemIdentifier', '?')}: "
        + " / ".join(n for n in notes if n)[:3500],
    )
    return create_incident(session, data=data, actor=actor, external_id=tracking)
