"""Which kecamatan a point or a warning polygon falls in.

Boundaries come from the ``regions`` table when they were imported; otherwise (the demo ships
only centroids) a point goes to the nearest kecamatan centroid and the answer is marked
approximate.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from shapely.geometry import Point, box, shape  # type: ignore[import-untyped, unused-ignore]
from shapely.geometry.base import BaseGeometry  # type: ignore[import-untyped, unused-ignore]
from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.geo.models import Region

CITY_CODE = "73.71"
EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Kecamatan:
    code: str
    name: str
    approximate: bool

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "name": self.name}


@dataclass(frozen=True)
class _Area:
    code: str
    name: str
    centroid: Point | None  # lon/lat
    boundary: BaseGeometry | None  # lon/lat


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def _areas(session: Session) -> list[_Area]:
    rows = session.scalars(
        select(Region).where(Region.level == "kecamatan", Region.parent_code == CITY_CODE)
    ).all()
    areas = []
    for row in rows:
        centroid = (
            Point(row.centroid_lon, row.centroid_lat)
            if row.centroid_lat is not None and row.centroid_lon is not None
            else None
        )
        boundary = shape(json.loads(row.boundary_geojson)) if row.boundary_geojson else None
        areas.append(_Area(row.code, row.name, centroid, boundary))
    return areas


def locate(session: Session, lat: float, lon: float) -> Kecamatan | None:
    """The kecamatan containing the point, else the one with the nearest centroid."""
    areas = _areas(session)
    point = Point(lon, lat)
    for area in areas:
        if area.boundary is not None and area.boundary.covers(point):
            return Kecamatan(area.code, area.name, approximate=False)
    centred = [(a, a.centroid) for a in areas if a.centroid is not None]
    if not centred:
        return None
    nearest, _ = min(centred, key=lambda ac: haversine_km(lat, lon, ac[1].y, ac[1].x))
    return Kecamatan(nearest.code, nearest.name, approximate=True)


def city_area(session: Session, fallback_bbox: tuple[float, float, float, float]) -> BaseGeometry:
    """The city's outline (lon/lat): its boundary, else the union of kecamatan boundaries, else
    the configured bounding box."""
    city = session.get(Region, CITY_CODE)
    if city is not None and city.boundary_geojson:
        return shape(json.loads(city.boundary_geojson))
    boundaries = [a.boundary for a in _areas(session) if a.boundary is not None]
    if boundaries:
        from shapely.ops import unary_union  # type: ignore[import-untyped, unused-ignore]

        return unary_union(boundaries)
    min_lat, min_lon, max_lat, max_lon = fallback_bbox
    return box(min_lon, min_lat, max_lon, max_lat)


def touching(session: Session, geometry: BaseGeometry) -> tuple[list[Kecamatan], bool]:
    """Kecamatan a warning polygon touches, and whether that answer is approximate.

    With boundaries: those it intersects. Without: those whose centroid lies inside it, or, if
    none does, the one nearest to it.
    """
    areas = _areas(session)
    if areas and all(a.boundary is not None for a in areas):
        hits = [a for a in areas if a.boundary is not None and a.boundary.intersects(geometry)]
        return [Kecamatan(a.code, a.name, False) for a in hits], False
    centred = [(a, a.centroid) for a in areas if a.centroid is not None]
    inside = [a for a, c in centred if geometry.covers(c)]
    if not inside and centred:
        inside = [min(centred, key=lambda ac: geometry.distance(ac[1]))[0]]
    return [Kecamatan(a.code, a.name, True) for a in inside], True
