"""Public warnings: publish CAP 1.2 alerts, read them one by one or as an Atom feed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from warroom.core.http import DbDep, actor_for, notify_outbox
from warroom.core.security.guard import public, require
from warroom.core.security.permissions import Permission, Principal
from warroom.emergency import cap
from warroom.emergency.schemas import WarningCreate, WarningRead

router = APIRouter(prefix="/api/emergency", tags=["emergency"])
Viewer = Annotated[Principal, require(Permission.WARROOM_VIEW)]
Publisher = Annotated[Principal, require(Permission.WARNINGS_PUBLISH)]


@router.post("/warnings", response_model=WarningRead, status_code=201)
def publish_warning(body: WarningCreate, request: Request, db: DbDep, me: Publisher) -> WarningRead:
    with db.write() as session:
        warning = cap.publish(session, data=body, actor=actor_for(request, me))
        result = WarningRead.model_validate(warning)
    notify_outbox(request)
    return result


@router.get("/warnings", response_model=list[WarningRead])
def list_warnings(db: DbDep, _: Viewer, limit: int = Query(50, ge=1, le=500)) -> list[WarningRead]:
    with db.read() as session:
        return [WarningRead.model_validate(w) for w in cap.list_warnings(session, limit=limit)]


# Every warning is published with CAP scope "Public": broadcasters, apps and citizens read the
# feed and the CAP documents without an account, as public alerting requires.
PUBLIC_WARNINGS = public("public warnings (CAP scope Public) for broadcasters and citizens")


@router.get("/warnings.atom", dependencies=[PUBLIC_WARNINGS])
def warnings_feed(request: Request, db: DbDep) -> Response:
    with db.read() as session:
        warnings = cap.list_warnings(session, limit=50)
        body = cap.atom_feed(warnings, base_url=str(request.base_url).rstrip("/"))
    return Response(body, media_type="application/atom+xml")


@router.get("/warnings/{warning_id}.cap", dependencies=[PUBLIC_WARNINGS])
def warning_cap(warning_id: int, db: DbDep) -> Response:
    with db.read() as session:
        xml = cap.get_warning(session, warning_id=warning_id).xml
    return Response(xml.encode(), media_type="application/cap+xml")
