"""H3 cells: the portable spatial index stored next to lat/lon columns (see the design guide).

Cells are stored as their 15-character hex string, which every database indexes and compares
the same way. Resolution 9 (about 0.1 km² per cell, 174 m edges) suits places and incidents in a
city; coarser resolutions are the parents of the stored cell, so no second column is needed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import h3  # type: ignore[import-untyped, unused-ignore]

from warroom.geo.coords import check_lat_lon
from warroom.geo.errors import GeoInputError

PLACE_RESOLUTION = 9


def cell_of(lat: float, lon: float, resolution: int = PLACE_RESOLUTION) -> str:
    lat, lon = check_lat_lon(lat, lon)
    _check_resolution(resolution)
    return str(h3.latlng_to_cell(lat, lon, resolution))


def cells_of(
    points: Iterable[tuple[float, float]], resolution: int = PLACE_RESOLUTION
) -> list[str]:
    return [cell_of(lat, lon, resolution) for lat, lon in points]


def parent(cell: str, resolution: int) -> str:
    _check_cell(cell)
    _check_resolution(resolution)
    return str(h3.cell_to_parent(cell, resolution))


def disk(cell: str, k: int) -> list[str]:
    """The cell and its neighbours up to ``k`` rings away (for "near this point" prefilters)."""
    _check_cell(cell)
    if k < 0:
        raise GeoInputError(f"ring distance must be >= 0, got {k}")
    return sorted(str(c) for c in h3.grid_disk(cell, k))


def rings_for_radius(radius_m: float, resolution: int = PLACE_RESOLUTION) -> int:
    """Rings of ``disk`` that surely cover a circle of ``radius_m`` around a point."""
    edge_m = float(h3.average_hexagon_edge_length(resolution, unit="m"))
    return int(radius_m / (edge_m * 1.5)) + 1


def cell_geojson(cell: str) -> dict[str, Any]:
    """The cell's hexagon as a GeoJSON Polygon (lon, lat; closed ring)."""
    _check_cell(cell)
    ring = [[lon, lat] for lat, lon in h3.cell_to_boundary(cell)]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def polygon_cells(geometry: dict[str, Any], resolution: int = PLACE_RESOLUTION) -> list[str]:
    """Cells whose centres lie in a GeoJSON Polygon or MultiPolygon."""
    _check_resolution(resolution)
    try:
        shape = h3.geo_to_h3shape(geometry)
    except (ValueError, TypeError, KeyError) as exc:
        raise GeoInputError(f"not a GeoJSON polygon: {exc}") from None
    return sorted(str(c) for c in h3.h3shape_to_cells(shape, resolution))


def _check_cell(cell: str) -> None:
    if not isinstance(cell, str) or not h3.is_valid_cell(cell):
        raise GeoInputError(f"{cell!r} is not an H3 cell")


def _check_resolution(resolution: int) -> None:
    if not 0 <= resolution <= 15:
        raise GeoInputError(f"H3 resolution must be 0..15, got {resolution}")
