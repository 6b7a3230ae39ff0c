"""Fleet HTML pages: vehicle list, vehicle page (trips), and multi-vehicle history replay.

Pages are shells: their ES module (static/app/fleet_pages.js) loads the data from the JSON
API. Domains may not import the web package, so the templates are loaded here directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from warroom import __version__
from warroom.core.security.guard import require_page
from warroom.core.security.permissions import Permission, Principal

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent.parent / "web" / "templates"))
router = APIRouter(tags=["fleet-pages"])
Viewer = Annotated[Principal | None, require_page(Permission.FLEET_READ)]


def _page(request: Request, me: Principal | None, template: str, **context: Any) -> Response:
    if me is None:
        return RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
    return TEMPLATES.TemplateResponse(
        request,
        f"fleet/{template}",
        {
            "user": {"username": me.name, "role": me.role.value if me.role else me.kind},
            "csrf_token": me.csrf_token,
            "app_version": __version__,
            **context,
        },
    )


@router.get("/fleet", response_class=HTMLResponse)
def vehicles_page(request: Request, me: Viewer) -> Response:
    return _page(request, me, "vehicles.html")


@router.get("/fleet/vehicles/{vehicle_id}", response_class=HTMLResponse)
def vehicle_page(vehicle_id: int, request: Request, me: Viewer) -> Response:
    return _page(request, me, "vehicle.html", vehicle_id=vehicle_id)


@router.get("/fleet/replay", response_class=HTMLResponse)
def replay_page(request: Request, me: Viewer) -> Response:
    return _page(request, me, "replay.html")
