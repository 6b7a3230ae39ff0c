"""Calls and incidents: call intake, duplicates, lifecycle, notes and partner scoping (opening
an incident is in ``opening``).

Functions take the caller's session and never commit. ``at`` lets the replay simulation run
on its own clock; the API leaves it to now. ``scope`` is a partner's agency code: such callers
only see and act on incidents one of their agency's units was assigned to.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import h3  # type: ignore[import-untyped, unused-ignore]
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from warroom.core import audit, outbox
from warroom.core.clock import utcnow
from warroom.core.errors import InvalidInputError, NotFoundError
from warroom.emergency.config import EmergencyConfig
from warroom.emergency.events import CallReceived
from warroom.emergency.lifecycle import OPEN_INCIDENT, IncidentStatus
from warroom.emergency.models import Assignment, Call, Incident, TimelineEntry
from warroom.emergency.opening import H3_RESOLUTION, Located, check_type, create_incident, locate
from warroom.emergency.schemas import CallCreate, IncidentCreate
from warroom.emergency.taxonomy import CallType
from warroom.emergency.timeline import add_entry, change_status
from warroom.emergency.units import release_units
from warroom.geo.coords import haversine_m


def take_call(
    session: Session, *, data: CallCreate, actor: audit.Actor, at: datetime | None = None
) -> Call:
    """Record an answered call; link it to an incident or open one for an emergency call."""
    answered = data.answered_at or at or utcnow()
    received = data.received_at or answered
    if data.incident_type is not None:
        check_type(data.incident_type)
    place = locate(session, aml=data.aml, location=data.location, address=data.address)
    call = Call(
        caller_number=data.caller_number,
        received_at=received,
        answered_at=answered,
        call_taker=actor.label,
        call_type=data.call_type.value,
        incident_type=data.incident_type,
        lat=place.lat if place else None,
        lon=place.lon if place else None,
        location_source=place.source if place else "none",
        location_accuracy_m=place.accuracy_m if place else None,
        address=data.address,
        language=data.language,
        notes=data.notes,
        answers=dict(data.answers),
    )
    session.add(call)
    session.flush()
    if data.incident_id is not None:
        link_call(session, call=call, incident_id=data.incident_id, actor=actor, at=answered)
    elif data.call_type is CallType.EMERGENCY and data.create_incident:
        _open_for_call(session, call=call, data=data, place=place, actor=actor, at=answered)
    audit.record(
        session,
        actor=actor,
        action="call.taken",
        target_type="call",
        target_id=call.id,
        detail={
            "type": call.call_type,
            "incident": call.incident_id,
            "location_source": call.location_source,
        },
    )
    outbox.enqueue(
        session,
        CallReceived(
            call_id=call.id,
            call_type=call.call_type,
            incident_id=call.incident_id,
            answer_seconds=(answered - received).total_seconds(),
            occurred_at=answered,
        ),
    )
    return call


def _open_for_call(
    session: Session,
    *,
    call: Call,
    data: CallCreate,
    place: Located | None,
    actor: audit.Actor,
    at: datetime,
) -> None:
    if data.incident_type is None:
        raise InvalidInputError("an emergency call needs an incident_type to open an incident")
    if place is None:
        raise InvalidInputError(
            "an emergency call needs a location: AML data, a map click or an address"
        )
    incident = create_incident(
        session,
        data=IncidentCreate(
            type=data.incident_type,
            priority=data.priority,
            description=data.description or data.notes,
            address=data.address,
        ),
        actor=actor,
        first_call_at=call.received_at,
        at=at,
        located=place,
    )
    call.incident_id = incident.id
    add_entry(
        session,
        incident_id=incident.id,
        actor=actor,
        kind="call_linked",
        at=at,
        text=f"call {call.id} from {call.caller_number}",
        detail={"call_id": call.id},
    )


def link_call(
    session: Session, *, call: Call, incident_id: int, actor: audit.Actor, at: datetime
) -> None:
    incident = get_incident(session, incident_id=incident_id)
    if incident.status not in OPEN_INCIDENT:
        raise InvalidInputError(f"incident {incident_id} is {incident.status}; link to an open one")
    call.incident_id = incident.id
    incident.first_call_at = min(incident.first_call_at, call.received_at)
    add_entry(
        session,
        incident_id=incident.id,
        actor=actor,
        kind="call_linked",
        at=at,
        text=f"call {call.id} from {call.caller_number} linked",
        detail={"call_id": call.id},
    )


def find_duplicates(
    session: Session,
    *,
    type_code: str,
    lat: float,
    lon: float,
    config: EmergencyConfig,
    at: datetime | None = None,
) -> list[tuple[Incident, float, float]]:
    """Open incidents of the same type near the point whose last call is recent enough:
    (incident, distance in metres, minutes since its last call), nearest first."""
    check_type(type_code)
    now = at or utcnow()
    ring = max(1, int(config.duplicate_radius_m / 150) + 1)  # res-9 cells are ~174 m apart
    cells = list(h3.grid_disk(h3.latlng_to_cell(lat, lon, H3_RESOLUTION), ring))
    candidates = session.scalars(
        select(Incident).where(
            Incident.h3_cell.in_(cells),
            Incident.type == type_code,
            Incident.status.in_([s.value for s in OPEN_INCIDENT]),
        )
    ).all()
    found = []
    for incident in candidates:
        distance = float(haversine_m(lat, lon, incident.lat, incident.lon))
        last_call = (
            session.scalar(
                select(Call.answered_at)
                .where(Call.incident_id == incident.id)
                .order_by(Call.answered_at.desc())
                .limit(1)
            )
            or incident.created_at
        )
        minutes = (now - last_call).total_seconds() / 60
        if distance <= config.duplicate_radius_m and minutes <= config.duplicate_window_minutes:
            found.append((incident, distance, minutes))
    return sorted(found, key=lambda item: item[1])


def scoped(query: Select[Any], scope: str | None) -> Select[Any]:
    if scope is None:
        return query
    assigned = select(Assignment.incident_id).where(Assignment.agency_code == scope)
    return query.where(Incident.id.in_(assigned))


def get_incident(session: Session, *, incident_id: int, scope: str | None = None) -> Incident:
    incident: Incident | None = session.scalar(
        scoped(select(Incident).where(Incident.id == incident_id), scope)
    )
    if incident is None:
        raise NotFoundError(f"no incident with id {incident_id}")
    return incident


def list_incidents(
    session: Session,
    *,
    scope: str | None,
    status: str | None = None,
    open_only: bool = False,
    limit: int = 200,
) -> list[Incident]:
    query = scoped(select(Incident), scope)
    if status:
        query = query.where(Incident.status == status)
    if open_only:
        query = query.where(Incident.status.in_([s.value for s in OPEN_INCIDENT]))
    query = query.order_by(Incident.priority, Incident.created_at.desc()).limit(limit)
    return list(session.scalars(query))


def timeline(session: Session, *, incident_id: int) -> list[TimelineEntry]:
    return list(
        session.scalars(
            select(TimelineEntry)
            .where(TimelineEntry.incident_id == incident_id)
            .order_by(TimelineEntry.at, TimelineEntry.id)
        )
    )


def calls_of(session: Session, *, incident_id: int) -> list[Call]:
    return list(
        session.scalars(select(Call).where(Call.incident_id == incident_id).order_by(Call.id))
    )


def recent_calls(session: Session, *, limit: int = 50) -> list[Call]:
    return list(session.scalars(select(Call).order_by(Call.id.desc()).limit(limit)))


def set_status(
    session: Session,
    *,
    incident_id: int,
    status: IncidentStatus,
    actor: audit.Actor,
    note: str = "",
    scope: str | None = None,
    at: datetime | None = None,
) -> Incident:
    """A dispatcher's (or partner's) status change. Resolving, closing or cancelling frees
    the incident's units."""
    incident = get_incident(session, incident_id=incident_id, scope=scope)
    if status is IncidentStatus.DISPATCHED:
        raise InvalidInputError("an incident becomes dispatched by assigning a unit to it")
    now = at or utcnow()
    change_status(session, incident=incident, status=status, actor=actor, at=now, note=note)
    if status in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED, IncidentStatus.CANCELLED):
        release_units(session, incident=incident, actor=actor, at=now)
    return incident


def add_note(
    session: Session, *, incident_id: int, text: str, actor: audit.Actor, scope: str | None
) -> None:
    incident = get_incident(session, incident_id=incident_id, scope=scope)
    add_entry(session, incident_id=incident.id, actor=actor, kind="note", text=text, at=utcnow())
    audit.record(
        session,
        actor=actor,
        action="incident.note_added",
        target_type="incident",
        target_id=incident.id,
        detail={"length": len(text)},
    )
