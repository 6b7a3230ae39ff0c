"""The station page: a station's latest values, charts of its readings and climate statistics.

Domains must not import ``warroom.web``, so this module keeps its own template loader over the
package's shared template folder.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Annotated

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from warroom import __version__
from warroom.core.http import DbDep
from warroom.core.security.guard import require_page
from warroom.core.security.permissions import Permission, Principal
from warroom.weather import service
from warroom.weather.schemas import StationRead

TEMPLATES = Jinja2Templates(directory=str(files("warroom") / "web" / "templates"))
router = APIRouter(tags=["weather"])
Viewer = Annotated[Principal | None, require_page(Permission.WEATHER_READ)]


@router.get("/weather/stations/{station_id}", response_class=HTMLResponse)
def station_page(station_id: int, request: Request, db: DbDep, me: Viewer) -> Response:
    if me is None:
        return RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
    agency = me.agency_filter()
    with db.read() as session:
        station = StationRead.model_validate(
            service.get_station(session, station_id=station_id, agency=agency)
        )
        quantities = [d.quantity for d in service.list_datastreams(session, station_id=station_id)]
    return TEMPLATES.TemplateResponse(
        request,
        "weather/station.html",
        {
            "station": station,
            "quantities": quantities,
            "csrf_token": me.csrf_token,
            "app_version": __version__,
        },
    )
