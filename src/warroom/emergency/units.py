"""Units: registration, the status board, positions, and assignment to incidents.

Assignment is race-safe on both backends: the unit is taken with one conditional
``UPDATE ... WHERE status = 'available'``; when two dispatchers assign the same unit at once,
the second update matches no row (PostgreSQL re-checks the condition after the first commit;
SQLite serialises writers) and that dispatcher gets a 409 while nothing of the failed
assignment is kept.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from warroom.core import audit, outbox
from warroom.core.clock import utcnow
from warroom.core.errors import ConflictError, InvalidInputError, NotFoundError
from warroom.emergency.events import UnitAssigned, UnitStatusChanged
from warroom.emergency.lifecycle import (
    ACTIVE_INCIDENT,
    INCIDENT_FOLLOWS_UNIT,
    IncidentStatus,
    UnitStatus,
    check_unit_change,
    is_ahead,
)
from warroom.emergency.models import Assignment, Incident, Unit
from warroom.emergency.schemas import UnitCreate
from warroom.emergency.timeline import add_entry, change_status

# The agencies table belongs to accounts; the units' foreign key points at it, and this check
# only turns the FK failure into a clear message (no import of another domain's models).
_AGENCY_EXISTS = text("SELECT 1 FROM agencies WHERE code = :code")
_ASSIGNABLE_INCIDENT = frozenset({IncidentStatus.NEW} | ACTIVE_INCIDENT)
_ASSIGNMENT_STAMP = {
    UnitStatus.EN_ROUTE: "en_route_at",
    UnitStatus.ON_SCENE: "on_scene_at",
}


def register_unit(session: Session, *, data: UnitCreate, actor: audit.Actor) -> Unit:
    if session.execute(_AGENCY_EXISTS, {"code": data.agency_code}).first() is None:
        raise InvalidInputError(f"unknown agency {data.agency_code!r}")
    if session.scalar(select(Unit.id).where(Unit.callsign == data.callsign)) is not None:
        raise ConflictError(f"unit {data.callsign!r} already exists")
    if data.vehicle_id is not None and session.scalar(
        select(Unit.id).where(Unit.vehicle_id == data.vehicle_id)
    ):
        raise ConflictError(f"vehicle {data.vehicle_id} already drives another unit")
    now = utcnow()
    unit = Unit(
        callsign=data.callsign,
        agency_code=data.agency_code,
        vehicle_id=data.vehicle_id,
        capabilities=sorted({c.value for c in data.capabilities}),
        status=UnitStatus.AVAILABLE.value,
        status_at=now,
        lat=data.location.lat if data.location else None,
        lon=data.location.lon if data.location else None,
        position_at=now if data.location else None,
        version=1,
    )
    session.add(unit)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="unit.registered",
        target_type="unit",
        target_id=unit.id,
        detail={
            "callsign": unit.callsign,
            "agency": unit.agency_code,
            "capabilities": unit.capabilities,
            "vehicle_id": unit.vehicle_id,
        },
    )
    return unit


def get_unit(session: Session, *, unit_id: int, scope: str | None = None) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None or (scope is not None and unit.agency_code != scope):
        raise NotFoundError(f"no unit with id {unit_id}")
    return unit


def list_units(session: Session, *, scope: str | None) -> list[Unit]:
    query = select(Unit).order_by(Unit.agency_code, Unit.callsign)
    if scope is not None:
        query = query.where(Unit.agency_code == scope)
    return list(session.scalars(query))


def assign_units(
    session: Session,
    *,
    incident_id: int,
    unit_ids: list[int],
    actor: audit.Actor,
    etas: dict[int, float] | None = None,
    at: datetime | None = None,
) -> list[Assignment]:
    """Send units to an incident. All or nothing: one unit that is not available fails the
    whole request with 409 (the caller's transaction is rolled back)."""
    now = at or utcnow()
    incident = session.get(Incident, incident_id, with_for_update=True)
    if incident is None:
        raise NotFoundError(f"no incident with id {incident_id}")
    if IncidentStatus(incident.status) not in _ASSIGNABLE_INCIDENT:
        raise ConflictError(f"incident {incident_id} is {incident.status}; units cannot join it")
    if len(set(unit_ids)) != len(unit_ids):
        raise InvalidInputError("the same unit is listed twice")
    made = [
        _take_unit(session, incident, uid, actor, (etas or {}).get(uid), now) for uid in unit_ids
    ]
    if incident.status == IncidentStatus.NEW.value:
        change_status(
            session,
            incident=incident,
            status=IncidentStatus.DISPATCHED,
            actor=actor,
            at=now,
            agency_code=made[0].agency_code,
        )
    return made


def _take_unit(
    session: Session,
    incident: Incident,
    unit_id: int,
    actor: audit.Actor,
    eta_s: float | None,
    now: datetime,
) -> Assignment:
    taken = session.execute(
        update(Unit)
        .where(Unit.id == unit_id, Unit.status == UnitStatus.AVAILABLE.value)
        .values(
            status=UnitStatus.DISPATCHED.value,
            status_at=now,
            incident_id=incident.id,
            version=Unit.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    unit = session.get(Unit, unit_id, populate_existing=True)
    if unit is None:
        raise NotFoundError(f"no unit with id {unit_id}")
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise ConflictError(f"unit {unit.callsign} is {unit.status}, not available")
    assignment = Assignment(
        incident_id=incident.id,
        unit_id=unit.id,
        agency_code=unit.agency_code,
        assigned_by=actor.label,
        assigned_at=now,
        eta_s=eta_s,
    )
    session.add(assignment)
    session.flush()
    eta = f", ETA {eta_s / 60:.1f} min" if eta_s is not None else ""
    add_entry(
        session,
        incident_id=incident.id,
        actor=actor,
        kind="unit_assigned",
        at=now,
        text=f"{unit.callsign} ({unit.agency_code}) assigned{eta}",
        detail={"unit_id": unit.id, "eta_s": eta_s},
    )
    audit.record(
        session,
        actor=actor,
        action="unit.assigned",
        target_type="unit",
        target_id=unit.id,
        detail={"incident": incident.id, "eta_s": eta_s},
    )
    outbox.enqueue(
        session,
        UnitAssigned(
            incident_id=incident.id,
            unit_id=unit.id,
            callsign=unit.callsign,
            agency_code=unit.agency_code,
            eta_s=eta_s,
            occurred_at=now,
        ),
    )
    return assignment


def _active_assignment(session: Session, unit: Unit) -> Assignment | None:
    if unit.incident_id is None:
        return None
    return session.scalar(
        select(Assignment).where(
            Assignment.unit_id == unit.id,
            Assignment.incident_id == unit.incident_id,
            Assignment.cleared_at.is_(None),
        )
    )


def acknowledge(
    session: Session,
    *,
    unit_id: int,
    actor: audit.Actor,
    scope: str | None = None,
    at: datetime | None = None,
) -> Assignment:
    """The crew accepted the job and rolls: acknowledged and en route."""
    now = at or utcnow()
    unit = get_unit(session, unit_id=unit_id, scope=scope)
    assignment = _active_assignment(session, unit)
    if assignment is None or unit.status != UnitStatus.DISPATCHED.value:
        raise ConflictError(f"unit {unit.callsign} has no new assignment to acknowledge")
    assignment.acknowledged_at = now
    set_unit_status(session, unit_id=unit.id, status=UnitStatus.EN_ROUTE, actor=actor, at=now)
    return assignment


def set_unit_status(
    session: Session,
    *,
    unit_id: int,
    status: UnitStatus,
    actor: audit.Actor,
    scope: str | None = None,
    at: datetime | None = None,
) -> Unit:
    now = at or utcnow()
    unit = get_unit(session, unit_id=unit_id, scope=scope)
    previous = unit.status
    check_unit_change(previous, status)
    assignment = _active_assignment(session, unit)
    unit.status, unit.status_at, unit.version = status.value, now, unit.version + 1
    incident_id = unit.incident_id
    if assignment is not None:
        stamp = _ASSIGNMENT_STAMP.get(status)
        if stamp and getattr(assignment, stamp) is None:
            setattr(assignment, stamp, now)
        if status is UnitStatus.AVAILABLE:
            assignment.cleared_at = now
            unit.incident_id = None
        _follow(session, assignment, unit, status, actor, now)
    audit.record(
        session,
        actor=actor,
        action="unit.status_changed",
        target_type="unit",
        target_id=unit.id,
        detail={"from": previous, "to": status.value},
    )
    outbox.enqueue(
        session,
        UnitStatusChanged(
            unit_id=unit.id,
            callsign=unit.callsign,
            status=status.value,
            previous=previous,
            incident_id=incident_id,
            agency_code=unit.agency_code,
            occurred_at=now,
        ),
    )
    return unit


def _follow(
    session: Session,
    assignment: Assignment,
    unit: Unit,
    status: UnitStatus,
    actor: audit.Actor,
    now: datetime,
) -> None:
    """Put the unit's progress on the incident's timeline and move the incident forward."""
    incident = session.get(Incident, assignment.incident_id)
    assert incident is not None
    add_entry(
        session,
        incident_id=incident.id,
        actor=actor,
        kind="unit_status",
        at=now,
        text=f"{unit.callsign} {status.value}",
        detail={"unit_id": unit.id, "status": status},
    )
    target = INCIDENT_FOLLOWS_UNIT.get(status)
    if target is not None and is_ahead(target, IncidentStatus(incident.status)):
        change_status(
            session,
            incident=incident,
            status=target,
            actor=actor,
            at=now,
            agency_code=unit.agency_code,
        )


def release_units(
    session: Session, *, incident: Incident, actor: audit.Actor, at: datetime
) -> None:
    """Free every unit still working the incident (it was resolved, closed or cancelled)."""
    busy = session.scalars(select(Unit).where(Unit.incident_id == incident.id)).all()
    for unit in busy:
        set_unit_status(session, unit_id=unit.id, status=UnitStatus.AVAILABLE, actor=actor, at=at)


def assignments_of(session: Session, *, incident_id: int) -> list[Assignment]:
    return list(
        session.scalars(
            select(Assignment).where(Assignment.incident_id == incident_id).order_by(Assignment.id)
        )
    )
