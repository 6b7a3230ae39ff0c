"""Regions API: the administrative areas and their figures, as JSON and as GeoJSON for the map."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.core.http import DbDep
from warroom.core.security.guard import require
from warroom.core.security.permissions import Permission, Principal
from warroom.geo.models import REGION_LEVELS, Region, RegionFigure

router = APIRouter(prefix="/api/geo", tags=["geo"])
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


@router.get("/regions", response_model=list[RegionRead])
def list_regions(db: DbDep, _: Viewer, level: LevelQuery = None) -> list[RegionRead]:
    with db.read() as session:
        return _regions(session, level)


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
def regions_geojson(db: DbDep, _: Viewer, level: LevelQuery = "kecamatan") -> dict[str, Any]:
    """Regions as a GeoJSON FeatureCollection: boundaries where imported, else centroid points
    marked ``approximate``."""
    with db.read() as session:
        regions = _regions(session, level)
        boundaries = {
            code: geojson
            for code, geojson in session.execute(select(Region.code, Region.boundary_geojson))
        }
    features = [f for r in regions if (f := _feature(r, boundaries.get(r.code)))]
    return {"type": "FeatureCollection", "features": features}
