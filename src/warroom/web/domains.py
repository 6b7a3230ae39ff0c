"""The domains this war room runs: their routers and their background services.

Adding a domain is one line in each list. A background service is anything with
``async start(app)`` and ``async stop(app)`` (protocol listeners, feed readers, simulators); they
start after the database, bus and outbox relay, and stop before them, in reverse order.
"""

from __future__ import annotations

from typing import Protocol

from fastapi import APIRouter, FastAPI

from warroom.accounts.api import router as accounts_router
from warroom.cameras.api import router as cameras_router
from warroom.cameras.runtime import cameras_services
from warroom.emergency.api import router as emergency_router
from warroom.emergency.background import emergency_services
from warroom.emergency.pages import router as emergency_pages
from warroom.emergency.warnings_api import router as emergency_warnings_router
from warroom.fleet.api import router as fleet_router
from warroom.fleet.runtime import fleet_services
from warroom.geo.api import router as geo_router
from warroom.weather.api import router as weather_router
from warroom.weather.services import weather_services


class BackgroundService(Protocol):
    async def start(self, app: FastAPI) -> None: ...

    async def stop(self, app: FastAPI) -> None: ...


DOMAIN_ROUTERS: tuple[APIRouter, ...] = (
    accounts_router,
    geo_router,
    fleet_router,
    weather_router,
    cameras_router,
    emergency_router,
    emergency_warnings_router,
    emergency_pages,
)


def background_services(app: FastAPI) -> list[BackgroundService]:
    """The services to run for this app (settings may switch some off)."""
    return [
        *fleet_services(app),
        *weather_services(app),
        *cameras_services(app),
        *emergency_services(app),
    ]
