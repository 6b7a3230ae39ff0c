"""Emergency JSON API: calls, incidents, dispatch, units, KPIs, EIDO.

Handlers are thin: one transaction each, the service does the work. Partners (role partner)
are scoped to their agency everywhere (``_scope``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from starlette.concurrency import run_in_threadpool

from warroom.core.clock import utcnow
from warroom.core.errors import InvalidInputError
from warroom.core.http import DbDep, actor_for, notify_outbox
from warroom.core.security.guard import require
from warroom.core.security.permissions import Permission, Principal
from warroom.emergency import breaches, dispatch, eido, kpi, service, units
from warroom.emergency.aml import parse_aml
from warroom.emergency.config import EmergencyConfig
from warroom.emergency.intake import IncidentIntake
from warroom.emergency.lifecycle import IncidentStatus
from warroom.emergency.locating import area_of
from warroom.emergency.positions import move_unit
from warroom.emergency.schemas import (
    AssignmentRead,
    AssignRequest,
    CallCreate,
    CallRead,
    DuplicateRead,
    IncidentCreate,
    IncidentDetail,
    IncidentRead,
    IncidentStatusUpdate,
    KpiReport,
    NoteCreate,
    Recommendation,
    TimelineRead,
    UnitCreate,
    UnitPosition,
    UnitRead,
    UnitStatusUpdate,
)
from warroom.emergency.taxonomy import INCIDENT_TYPES, CallType, Capability

router = APIRouter(prefix="/api/emergency", tags=["emergency"])

Reader = Annotated[Principal, require(Permission.INCIDENTS_READ)]
Writer = Annotated[Principal, require(Permission.INCIDENTS_WRITE)]
CallTaker = Annotated[Principal, require(Permission.CALLS_TAKE)]
Dispatcher = Annotated[Principal, require(Permission.DISPATCH_ASSIGN)]
Crew = Annotated[Principal, require(Permission.UNITS_UPDATE)]
UnitAdmin = Annotated[Principal, require(Permission.UNITS_MANAGE)]


def config_of(request: Request) -> EmergencyConfig:
    """Settings read once per app (environment ``WARROOM_EMERGENCY_*``)."""
    state = request.app.state
    if getattr(state, "emergency_config", None) is None:
        state.emergency_config = EmergencyConfig()
    config: EmergencyConfig = state.emergency_config
    return config


def _scope(me: Principal) -> str | None:
    """Partners see only their agency's work."""
    return me.agency_filter()


@router.get("/types")
def incident_types(_: Reader) -> dict[str, Any]:
    """Incident types with default priority, capabilities and the call-taker's questions."""
    return {
        "call_types": [c.value for c in CallType],
        "capabilities": [c.value for c in Capability],
        "incident_types": [
            {
                "code": t.code,
                "label": t.label,
                "label_id": t.label_id,
                "priority": t.priority,
                "capabilities": [c.value for c in t.capabilities],
                "lead_agency": t.lead_agency,
                "questions": list(t.questions),
            }
            for t in INCIDENT_TYPES.values()
        ],
    }


@router.post("/aml")
def read_aml(
    db: DbDep, _: CallTaker, raw: Annotated[str, Body(media_type="text/plain", max_length=4000)]
) -> dict[str, Any]:
    """Parse an AML SMS body or HTTPS form data into a position with its area."""
    found = parse_aml(raw)
    with db.read() as session:
        area = area_of(session, found.lat, found.lon)
    return {**found.__dict__, "kecamatan": area.kecamatan, "kelurahan": area.kelurahan}


@router.post("/calls", status_code=201)
def take_call(body: CallCreate, request: Request, db: DbDep, me: CallTaker) -> dict[str, Any]:
    with db.write() as session:
        call = service.take_call(session, data=body, actor=actor_for(request, me))
        breaches.check_call(session, call=call, config=config_of(request))
        result = CallRead.model_validate(call)
    notify_outbox(request)
    return result.model_dump(mode="json")


@router.get("/calls", response_model=list[CallRead])
def recent_calls(db: DbDep, _: CallTaker, limit: int = Query(50, ge=1, le=500)) -> list[CallRead]:
    with db.read() as session:
        return [CallRead.model_validate(c) for c in service.recent_calls(session, limit=limit)]


@router.get("/duplicates", response_model=list[DuplicateRead])
def duplicates(
    request: Request,
    db: DbDep,
    _: CallTaker,
    incident_type: Annotated[str, Query(alias="type", max_length=40)],
    lat: float = Query(ge=-90, le=90),
    lon: float = Query(ge=-180, le=180),
) -> list[DuplicateRead]:
    """Open incidents this call may be about (same type, near, recent)."""
    with db.read() as session:
        found = service.find_duplicates(
            session, type_code=incident_type, lat=lat, lon=lon, config=config_of(request)
        )
        return [
            DuplicateRead(
                incident_id=i.id,
                type=i.type,
                status=i.status,
                distance_m=round(d, 1),
                minutes_since_last_call=round(m, 1),
            )
            for i, d, m in found
        ]


@router.post("/incidents", response_model=IncidentRead, status_code=201)
async def create_incident(body: IncidentCreate, request: Request, me: Writer) -> IncidentRead:
    """Opened through the group-commit intake (see ``intake``); answered once committed."""
    intake: IncidentIntake = request.app.state.incident_intake
    result = await intake.create(body, actor_for(request, me))
    notify_outbox(request)
    return result


@router.get("/incidents", response_model=list[IncidentRead])
def list_incidents(
    db: DbDep,
    me: Reader,
    status: IncidentStatus | None = None,
    open_only: Annotated[bool, Query(alias="open")] = False,
    limit: int = Query(200, ge=1, le=1000),
) -> list[IncidentRead]:
    with db.read() as session:
        found = service.list_incidents(
            session,
            scope=_scope(me),
            status=status.value if status else None,
            open_only=open_only,
            limit=limit,
        )
        return [IncidentRead.model_validate(i) for i in found]


@router.get("/incidents/{incident_id}", response_model=IncidentDetail)
def incident_detail(incident_id: int, db: DbDep, me: Reader) -> IncidentDetail:
    with db.read() as session:
        incident = service.get_incident(session, incident_id=incident_id, scope=_scope(me))
        return IncidentDetail(
            **IncidentRead.model_validate(incident).model_dump(),
            timeline=[
                TimelineRead.model_validate(e)
                for e in service.timeline(session, incident_id=incident_id)
            ],
            calls=[
                CallRead.model_validate(c)
                for c in service.calls_of(session, incident_id=incident_id)
            ],
            assignments=[
                AssignmentRead.model_validate(a)
                for a in units.assignments_of(session, incident_id=incident_id)
            ],
        )


@router.post("/incidents/{incident_id}/status", response_model=IncidentRead)
def change_incident_status(
    incident_id: int, body: IncidentStatusUpdate, request: Request, db: DbDep, me: Writer
) -> IncidentRead:
    with db.write() as session:
        incident = service.set_status(
            session,
            incident_id=incident_id,
            status=body.status,
            note=body.note,
            actor=actor_for(request, me),
        )
        result = IncidentRead.model_validate(incident)
    notify_outbox(request)
    return result


@router.post("/incidents/{incident_id}/notes", status_code=204)
def add_note(incident_id: int, body: NoteCreate, request: Request, db: DbDep, me: Writer) -> None:
    with db.write() as session:
        service.add_note(
            session,
            incident_id=incident_id,
            text=body.text,
            actor=actor_for(request, me),
            scope=None,
        )


@router.get("/incidents/{incident_id}/recommendations", response_model=list[Recommendation])
async def recommendations(
    incident_id: int,
    request: Request,
    db: DbDep,
    _: Dispatcher,
    limit: int = Query(10, ge=1, le=100),
) -> list[Recommendation]:
    """Available, capable units ranked by road travel time from their live positions."""
    config = config_of(request)

    def work() -> list[Recommendation]:
        from warroom.geo.network import get_router  # heavy; imported when first needed

        road = get_router()
        with db.read() as session:
            return dispatch.recommend(
                session,
                incident_id=incident_id,
                router=road,
                limit=limit,
                max_seconds=config.max_recommend_seconds,
            )

    return await run_in_threadpool(work)


@router.post("/incidents/{incident_id}/assign", response_model=list[AssignmentRead])
def assign(
    incident_id: int, body: AssignRequest, request: Request, db: DbDep, me: Dispatcher
) -> list[AssignmentRead]:
    """Send units; 409 when one is not available (nothing is assigned then)."""
    with db.write() as session:
        made = units.assign_units(
            session, incident_id=incident_id, unit_ids=body.unit_ids, actor=actor_for(request, me)
        )
        result = [AssignmentRead.model_validate(a) for a in made]
    notify_outbox(request)
    return result


@router.get("/incidents/{incident_id}/eido")
def export_eido(incident_id: int, db: DbDep, me: Reader) -> dict[str, Any]:
    with db.read() as session:
        incident = service.get_incident(session, incident_id=incident_id, scope=_scope(me))
        return eido.export_incident(session, incident=incident)


@router.post("/eido", response_model=IncidentRead, status_code=201)
def import_eido(
    request: Request, db: DbDep, me: Writer, message: Annotated[dict[str, Any], Body()]
) -> IncidentRead:
    with db.write() as session:
        incident = eido.import_incident(session, message=message, actor=actor_for(request, me))
        result = IncidentRead.model_validate(incident)
    notify_outbox(request)
    return result


@router.get("/units", response_model=list[UnitRead])
def list_units(db: DbDep, me: Reader) -> list[UnitRead]:
    with db.read() as session:
        return [UnitRead.model_validate(u) for u in units.list_units(session, scope=_scope(me))]


@router.post("/units", response_model=UnitRead, status_code=201)
def register_unit(body: UnitCreate, request: Request, db: DbDep, me: UnitAdmin) -> UnitRead:
    with db.write() as session:
        unit = units.register_unit(session, data=body, actor=actor_for(request, me))
        return UnitRead.model_validate(unit)


@router.post("/units/{unit_id}/status", response_model=UnitRead)
def change_unit_status(
    unit_id: int, body: UnitStatusUpdate, request: Request, db: DbDep, me: Crew
) -> UnitRead:
    with db.write() as session:
        unit = units.set_unit_status(
            session,
            unit_id=unit_id,
            status=body.status,
            actor=actor_for(request, me),
            scope=_scope(me),
        )
        result = UnitRead.model_validate(unit)
    notify_outbox(request)
    return result


@router.post("/units/{unit_id}/acknowledge", response_model=AssignmentRead)
def acknowledge(unit_id: int, request: Request, db: DbDep, me: Crew) -> AssignmentRead:
    with db.write() as session:
        made = units.acknowledge(
            session, unit_id=unit_id, actor=actor_for(request, me), scope=_scope(me)
        )
        result = AssignmentRead.model_validate(made)
    notify_outbox(request)
    return result


@router.post("/units/{unit_id}/position")
def report_position(
    unit_id: int, body: UnitPosition, request: Request, db: DbDep, me: Crew
) -> dict[str, bool]:
    """A position from a crew app (units with a fleet vehicle get theirs from GPS)."""
    with db.write() as session:
        units.get_unit(session, unit_id=unit_id, scope=_scope(me))
        arrived = move_unit(
            session,
            unit_id=unit_id,
            lat=body.lat,
            lon=body.lon,
            at=body.at or utcnow(),
            arrival_radius_m=config_of(request).arrival_radius_m,
        )
    notify_outbox(request)
    return {"arrived": arrived}


@router.get("/kpi", response_model=KpiReport)
def kpi_report(
    request: Request,
    db: DbDep,
    me: Reader,
    since: datetime | None = None,
    until: datetime | None = None,
    agency: str | None = None,
    kecamatan: str | None = None,
) -> KpiReport:
    """Response-time KPIs for a period (default: the last 24 hours)."""
    end = until or utcnow()
    start = since or end - timedelta(days=1)
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInputError("since/until need a timezone offset")
    if start >= end:
        raise InvalidInputError("since must be before until")
    if (own := me.agency_filter()) is not None:
        agency = own  # partners only ever get their own agency
    with db.read() as session:
        return kpi.report(
            session,
            since=start,
            until=end,
            config=config_of(request),
            agency=agency,
            kecamatan=kecamatan,
        )
