"""Road network, routing, geocoding and region lookup over HTTP.

The router is built once per process on first use (the synthetic city takes about a second, an
OSM extract longer the first time, then its cache) and shared; its searches run in the thread
pool so the event loop never waits on them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from warroom.core.http import DbDep, SettingsDep
from warroom.core.security.guard import require
from warroom.core.security.permissions import Permission, Principal
from warroom.geo import lookup_cache
from warroom.geo.geocoding import geocode, reverse_geocode

if TYPE_CHECKING:
    from warroom.geo.routing import Router

router = APIRouter(tags=["geo"])  # included by warroom.geo.api under /api/geo
Viewer = Annotated[Principal, require(Permission.REGIONS_READ)]
MAX_POINTS = 5000

Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]
Point = tuple[Latitude, Longitude]


class RouteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    origin: Point = Field(description="[lat, lon]")
    destination: Point = Field(description="[lat, lon]")


class TravelTimesRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    center: Point = Field(description="The one point: an incident, say ([lat, lon]).")
    points: list[Point] = Field(min_length=1, max_length=MAX_POINTS)
    direction: Literal["to_center", "from_center"] = Field(
        default="to_center",
        description="to_center: each point drives to the center (units to an incident).",
    )
    max_seconds: float | None = Field(default=None, gt=0)


def _router(settings: Any) -> Router:
    from warroom.geo.network import get_router  # the routing stack costs 1.5 s to import

    return get_router(osm_file=settings.osm_file, speeds_kmh=settings.road_speeds_kmh)


def _finite(value: float) -> float | None:
    return round(value, 1) if np.isfinite(value) else None


@router.get("/network")
async def network(settings: SettingsDep, _: Viewer) -> dict[str, Any]:
    """Which road network routing uses; ``synthetic: true`` means streets are not real."""
    road_router = await run_in_threadpool(_router, settings)
    return road_router.graph.describe()


@router.post("/route")
async def route(body: RouteRequest, settings: SettingsDep, _: Viewer) -> dict[str, Any]:
    """Fastest route by road: seconds, metres and the line as GeoJSON (404 when none)."""

    def run() -> dict[str, Any]:
        road_router = _router(settings)
        found = road_router.route(body.origin, body.destination)
        return {**found.as_dict(), "synthetic": road_router.graph.synthetic}

    return await run_in_threadpool(run)


@router.post("/travel-times")
async def travel_times(
    body: TravelTimesRequest, settings: SettingsDep, _: Viewer
) -> dict[str, Any]:
    """Many points to or from one in a single search; null where there is no route."""

    def run() -> dict[str, Any]:
        road_router = _router(settings)
        lats = np.array([p[0] for p in body.points])
        lons = np.array([p[1] for p in body.points])
        if body.direction == "to_center":
            times = road_router.many_to_one(
                sources=(lats, lons), destination=body.center, max_seconds=body.max_seconds
            )
        else:
            times = road_router.one_to_many(
                origin=body.center, targets=(lats, lons), max_seconds=body.max_seconds
            )
        meters = times.meters if times.meters is not None else np.full(len(lats), np.inf)
        return {
            "synthetic": road_router.graph.synthetic,
            "results": [
                {"seconds": _finite(s), "meters": _finite(m)}
                for s, m in zip(times.seconds, meters, strict=True)
            ],
        }

    return await run_in_threadpool(run)


@router.get("/geocode")
def geocode_text(
    db: DbDep,
    _: Viewer,
    q: Annotated[str, Query(min_length=2, max_length=300, description="Address or place")],
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> list[dict[str, Any]]:
    """Indonesian addresses and place names, fuzzy, offline; best first."""
    with db.read() as session:
        gazetteer, regions = lookup_cache.gazetteer(session), lookup_cache.region_index(session)
    return [hit.as_dict() for hit in geocode(q, gazetteer=gazetteer, regions=regions, limit=limit)]


@router.get("/reverse")
def reverse(
    db: DbDep,
    settings: SettingsDep,
    _: Viewer,
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
) -> dict[str, Any]:
    """Nearest street and place, and the kelurahan/kecamatan (``approximate`` when only
    centroids are known)."""
    with db.read() as session:
        gazetteer, regions = lookup_cache.gazetteer(session), lookup_cache.region_index(session)
    found = reverse_geocode(
        lat, lon, gazetteer=gazetteer, router=_router(settings), regions=regions
    )
    return found.as_dict()
