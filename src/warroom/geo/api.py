"""Regions API: the administrative areas and their figures, as JSON and as GeoJSON for the map."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from warroom.core.db import Database
from warroom.core.http import DbDep
from warroom.core.security.guard import require
from warroom.core.security.permissions import Permission, Principal
from warroom.core.ttlcache import TtlCache
from warroom.geo.models import REGION_LEVELS, Region, RegionFigure
from warroom.geo.routing_api import router as routing_router

router = APIRouter(prefix="/api/geo", tags=["geo"])
router.include_router(routing_router)
Viewer = Annotated[Principal, require(Permission.REGIONS_READ)]


class FigureRead(BaseModel):
    indicator: str
    value: float
    unit: str
    year: int
    source: str


class RegionRead(BaseModel):
    code: str
    name: str
    level: str
    parent_code: str | None
    centroid: tuple[float, float] | None
    approximate: bool
    source: str
    figures: list[FigureRead]


def _figures_by_region(session: Session) -> dict[str, list[FigureRead]]:
    grouped: dict[str, list[FigureRead]] = {}
    query = select(RegionFigure).order_by(RegionFigure.indicator, RegionFigure.year)
    for figure in session.scalars(query):
        grouped.setdefault(figure.region_code, []).append(
            FigureRead.model_validate(figure, from_attributes=True)
        )
    return grouped


def _regions(session: Session, level: str | None) -> list[RegionRead]:
    query = select(Region).order_by(Region.code)
    if level:
        query = query.where(Region.level == level)
    figures = _figures_by_region(session)
    return [
        RegionRead(
            code=r.code,
            name=r.name,
            level=r.level,
            parent_code=r.parent_code,
            centroid=(r.centroid_lat, r.centroid_lon)
            if r.centroid_lat is not None and r.centroid_lon is not None
            else None,
            approximate=r.boundary_geojson is None,
            source=r.source,
            figures=figures.get(r.code, []),
        )
        for r in session.scalars(query)
    ]


LevelQuery = Annotated[str | None, Query(pattern="^(" + "|".join(REGION_LEVELS) + ")$")]


# Regions change only when boundaries are imported, yet every screen reads them: keep the
# rendered JSON per process for a short while instead of querying and serialising each time.
REGION_CACHE: TtlCache[tuple[str, str | None], bytes] = TtlCache(30.0)


async def _cached(key: tuple[str, str | None], build: Callable[[], bytes]) -> bytes:
    found, body = REGION_CACHE.lookup(key)  # a hit is answered without a thread hop
    if found and body is not None:
        return body
    return await run_in_threadpool(REGION_CACHE.get_or_build, key, build)


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


@router.get("/regions", response_model=list[RegionRead])
async def list_regions(db: DbDep, _: Viewer, level: LevelQuery = None) -> Response:
    def build() -> bytes:
        with db.read() as session:
            return _json([r.model_dump(mode="json") for r in _regions(session, level)])

    body = await _cached(("list", level), build)
    return Response(body, media_type="application/json")


def _feature(region: RegionRead, boundary: str | None) -> dict[str, Any] | None:
    if boundary:
        geometry = json.loads(boundary)
    elif region.centroid:
        geometry = {"type": "Point", "coordinates": [region.centroid[1], region.centroid[0]]}
    else:
        return None
    properties = region.model_dump(exclude={"centroid"})
    return {"type": "Feature", "id": region.code, "geometry": geometry, "properties": properties}


@router.get("/regions.geojson")
async def regions_geojson(db: DbDep, _: Viewer, level: LevelQuery = "kecamatan") -> Response:
    """Regions as a GeoJSON FeatureCollection: boundaries where imported, else centroid points
    marked ``approximate``."""

    def build() -> bytes:
        return _json(_feature_collection(db, level))

    body = await _cached(("geojson", level), build)
    return Response(body, media_type="application/geo+json")


def _feature_collection(db: Database, level: str | None) -> dict[str, Any]:
    with db.read() as session:
        regions = _regions(session, level)
        boundaries = {
            code: geojson
            for code, geojson in session.execute(select(Region.code, Region.boundary_geojson))
        }
    features = [f for r in regions if (f := _feature(r, boundaries.get(r.code)))]
    return {"type": "FeatureCollection", "features": features}
