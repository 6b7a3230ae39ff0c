"""The incident timeline and the incident status changes every part of the domain makes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from warroom.core import audit, outbox
from warroom.emergency.events import IncidentStatusChanged
from warroom.emergency.lifecycle import IncidentStatus, check_incident_change
from warroom.emergency.models import Incident, TimelineEntry

_TIMELINE = cast(Table, TimelineEntry.__table__)
_STAMP = {
    IncidentStatus.DISPATCHED: "dispatched_at",
    IncidentStatus.ON_SCENE: "arrived_at",
    IncidentStatus.RESOLVED: "resolved_at",
    IncidentStatus.CLOSED: "closed_at",
    IncidentStatus.CANCELLED: "closed_at",
}


def add_entry(
    session: Session,
    *,
    incident_id: int,
    actor: audit.Actor,
    kind: str,
    text: str,
    at: datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    """Insert at once with a Core statement: nothing reads the entry back as an object, and
    the ORM's unit of work cost several times the CPU on the incident hot path. The incident
    row must already be in the database (its id is the foreign key)."""
    session.execute(
        insert(_TIMELINE),
        {
            "incident_id": incident_id,
            "at": at,
            "actor": actor.label,
            "kind": kind,
            "text": text[:500],
            "detail": detail or {},
        },
    )


def change_status(
    session: Session,
    *,
    incident: Incident,
    status: IncidentStatus,
    actor: audit.Actor,
    at: datetime,
    note: str = "",
    agency_code: str | None = None,
) -> None:
    """Move the incident to ``status`` (409 when the lifecycle does not allow it), stamping
    the time the KPIs measure, with timeline, audit and event in the caller's transaction."""
    previous = incident.status
    check_incident_change(previous, status)
    incident.status = status.value
    incident.version += 1
    stamp = _STAMP.get(status)
    if stamp and getattr(incident, stamp) is None:
        setattr(incident, stamp, at)
    text = f"status {previous} -> {status.value}" + (f": {note}" if note else "")
    add_entry(
        session,
        incident_id=incident.id,
        actor=actor,
        kind="status",
        text=text,
        at=at,
        detail={"from": previous, "to": status.value},
    )
    audit.record(
        session,
        actor=actor,
        action="incident.status_changed",
        target_type="incident",
        target_id=incident.id,
        detail={"from": previous, "to": status.value, "note": note},
    )
    outbox.enqueue(
        session,
        IncidentStatusChanged(
            incident_id=incident.id,
            status=status.value,
            previous=previous,
            agency_code=agency_code,
            occurred_at=at,
        ),
    )
