"""Point-in-region lookup: which kelurahan, kecamatan, city and province a point lies in.

Levels with boundaries use point-in-polygon (shapely, STRtree-prefiltered). Levels known only
by centroids (the shipped Makassar demo has no polygons) answer with the nearest centroid and
say so: ``approximate=True``. Codes are Kemendagri kode wilayah (``73.71.01``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely  # type: ignore[import-untyped, unused-ignore]
from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.geo.coords import check_lat_lon, haversine_m
from warroom.geo.models import REGION_LEVELS, Region

# Beyond this a nearest centroid is no answer (a point out at sea, in another city).
MAX_CENTROID_M = 8000.0


@dataclass(frozen=True)
class RegionArea:
    code: str
    name: str
    level: str
    geometry: Any | None = None  # shapely (Multi)Polygon in lon/lat
    centroid: tuple[float, float] | None = None  # (lat, lon)


@dataclass(frozen=True)
class RegionHit:
    code: str
    name: str
    level: str
    approximate: bool  # True when only the nearest centroid was known
    distance_m: float | None = None  # to that centroid, when approximate


class RegionIndex:
    def __init__(self, regions: Sequence[RegionArea]) -> None:
        self._by_level: dict[str, _LevelIndex] = {}
        for level in REGION_LEVELS:
            members = [r for r in regions if r.level == level]
            if members:
                self._by_level[level] = _LevelIndex(members)

    @property
    def levels(self) -> list[str]:
        return list(self._by_level)

    def lookup(self, lat: float, lon: float) -> dict[str, RegionHit]:
        """The region of each known level containing the point (levels with no answer are
        left out)."""
        lat, lon = check_lat_lon(lat, lon)
        hits = {}
        for level, index in self._by_level.items():
            hit = index.lookup(lat, lon)
            if hit is not None:
                hits[level] = hit
        return hits


class _LevelIndex:
    def __init__(self, regions: list[RegionArea]) -> None:
        self.shaped = [r for r in regions if r.geometry is not None]
        self.centroids = [r for r in regions if r.geometry is None and r.centroid is not None]
        self.tree = shapely.STRtree([r.geometry for r in self.shaped]) if self.shaped else None
        self.c_lat = np.array([r.centroid[0] for r in self.centroids if r.centroid])
        self.c_lon = np.array([r.centroid[1] for r in self.centroids if r.centroid])

    def lookup(self, lat: float, lon: float) -> RegionHit | None:
        if self.tree is not None:
            found = self.tree.query(shapely.points(lon, lat), predicate="intersects")
            if found.size:
                region = self.shaped[int(np.min(found))]
                return RegionHit(region.code, region.name, region.level, approximate=False)
        if not self.centroids:
            return None
        distances = haversine_m(lat, lon, self.c_lat, self.c_lon)
        best = int(np.argmin(distances))
        if distances[best] > MAX_CENTROID_M:
            return None
        region = self.centroids[best]
        return RegionHit(
            region.code,
            region.name,
            region.level,
            approximate=True,
            distance_m=float(distances[best]),
        )


def region_area(row: Region) -> RegionArea:
    geometry = shapely.from_geojson(row.boundary_geojson) if row.boundary_geojson else None
    centroid = (
        (row.centroid_lat, row.centroid_lon)
        if row.centroid_lat is not None and row.centroid_lon is not None
        else None
    )
    return RegionArea(
        code=row.code, name=row.name, level=row.level, geometry=geometry, centroid=centroid
    )


def load_region_index(*, session: Session) -> RegionIndex:
    """The index over every region stored in the database."""
    return RegionIndex([region_area(r) for r in session.scalars(select(Region))])


def reference_region_index() -> RegionIndex:
    """Makassar's 15 kecamatan from the shipped reference data (centroids only, so every
    answer is approximate); used when no database is at hand."""
    from warroom.geo.reference import makassar_regions

    return RegionIndex(
        [
            RegionArea(
                code=r["code"],
                name=r["name"],
                level=r["level"],
                centroid=(r["centroid_lat"], r["centroid_lon"]),
            )
            for r in makassar_regions()
            if r["centroid_lat"] is not None and r["level"] != "city"
        ]
    )


def geometry_json(geometry: Any) -> str:
    return json.dumps(json.loads(shapely.to_geojson(geometry)), separators=(",", ":"))
