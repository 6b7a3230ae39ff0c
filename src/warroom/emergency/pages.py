"""Emergency pages: call-taker screen, dispatcher board (incidents, recommendations, units) and
the incident page with its timeline. Server-rendered shells; emergency.js fills them from the
API. Templates live with the web package's templates; this domain loads them itself (domains
do not import the web layer)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Request, status
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from warroom import __version__
from warroom.core.security.guard import require_page
from warroom.core.security.permissions import Permission, Principal

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent.parent / "web" / "templates"))
router = APIRouter(tags=["emergency pages"])

Reader = Annotated[Principal | None, require_page(Permission.INCIDENTS_READ)]
CallTaker = Annotated[Principal | None, require_page(Permission.CALLS_TAKE)]


def _page(request: Request, me: Principal | None, template: str, **extra: Any) -> Response:
    if me is None:
        return RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
    context = {
        "user": {
            "username": me.name,
            "role": me.role.value if me.role else me.kind,
            "agency_code": me.agency_code,
        },
        "can_dispatch": me.can(Permission.DISPATCH_ASSIGN),
        "can_write": me.can(Permission.INCIDENTS_WRITE),
        "csrf_token": me.csrf_token,
        "app_version": __version__,
        **extra,
    }
    return TEMPLATES.TemplateResponse(request, template, context)


@router.get("/emergency")
def board(request: Request, me: Reader) -> Response:
    return _page(request, me, "emergency/board.html")


@router.get("/emergency/call")
def call_taker(request: Request, me: CallTaker) -> Response:
    return _page(request, me, "emergency/call.html")


@router.get("/emergency/incidents/{incident_id}")
def incident_page(incident_id: int, request: Request, me: Reader) -> Response:
    return _page(request, me, "emergency/incident.html", incident_id=incident_id)
