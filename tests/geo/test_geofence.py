"""Geofences: shapes, boundary rules, batch queries against a brute-force check."""

from __future__ import annotations

import numpy as np
import pytest
import shapely  # type: ignore[import-untyped, unused-ignore]

from warroom.geo.cells import cell_geojson, cell_of, disk, parent, polygon_cells
from warroom.geo.coords import distance_m
from warroom.geo.errors import GeoInputError
from warroom.geo.geofence import (
    CircleFence,
    CorridorFence,
    GeofenceIndex,
    PolygonFence,
    fence_from_geojson,
)

BALAIKOTA = (-5.1355, 119.4142)  # Makassar city hall, roughly


def test_circle_is_exact_at_its_radius() -> None:
    index = GeofenceIndex([CircleFence("hall", BALAIKOTA, 300.0)])
    north = [(BALAIKOTA[0] + d / 111_195, BALAIKOTA[1]) for d in (299.0, 301.0)]
    lat, lon = zip(*north, strict=True)
    assert index.inside("hall", lat, lon).tolist() == [True, False]
    assert distance_m(*north[0], *BALAIKOTA) == pytest.approx(299.0, abs=0.5)


def test_polygon_with_hole_and_boundary() -> None:
    outer = [(-5.15, 119.40), (-5.15, 119.42), (-5.13, 119.42), (-5.13, 119.40)]
    hole = [(-5.145, 119.405), (-5.145, 119.415), (-5.135, 119.415), (-5.135, 119.405)]
    index = GeofenceIndex([PolygonFence("ring", [outer, hole])])
    assert index.fences_at(-5.148, 119.41) == ["ring"]
    assert index.fences_at(-5.14, 119.41) == []  # in the hole
    assert index.fences_at(-5.15, 119.41) == ["ring"]  # on the edge counts as inside
    assert index.fences_at(-5.16, 119.41) == []


def test_corridor_along_a_road() -> None:
    road = [(-5.14, 119.40), (-5.14, 119.42), (-5.12, 119.42)]
    index = GeofenceIndex([CorridorFence("patrol", road, 50.0)])
    offset = 40 / 111_195
    assert index.fences_at(-5.14 + offset, 119.41) == ["patrol"]
    assert index.fences_at(-5.14 + 2 * offset, 119.41) == []
    assert index.fences_at(-5.13, 119.42 + offset) == ["patrol"]  # second leg


def test_batch_query_matches_brute_force() -> None:
    rng = np.random.default_rng(4)
    fences: list[CircleFence | PolygonFence | CorridorFence] = []
    for i in range(120):
        lat, lon = rng.uniform(-5.2, -5.05), rng.uniform(119.4, 119.55)
        if i % 3 == 0:
            fences.append(CircleFence(f"c{i}", (lat, lon), float(rng.uniform(50, 900))))
        elif i % 3 == 1:
            d = rng.uniform(0.001, 0.02)
            fences.append(
                PolygonFence(
                    f"p{i}",
                    [[(lat, lon), (lat + d, lon), (lat + d, lon + d), (lat, lon + 1.5 * d)]],
                )
            )
        else:
            fences.append(CorridorFence(f"r{i}", [(lat, lon), (lat + 0.01, lon + 0.004)], 80.0))
    index = GeofenceIndex(fences, cell_m=75)
    point_lat = rng.uniform(-5.2, -5.05, 4000)
    point_lon = rng.uniform(119.4, 119.55, 4000)
    hits = index.query(point_lat, point_lon)
    got = set(zip(hits.point.tolist(), hits.fence.tolist(), strict=True))
    x, y = index.proj.to_xy(point_lat, point_lon)
    expected = set()
    for f, fence in enumerate(fences):
        if isinstance(fence, CircleFence):
            inside = np.asarray(
                [
                    distance_m(a, b, *fence.center) <= fence.radius_m
                    for a, b in zip(point_lat, point_lon, strict=True)
                ]
            )
            inside_fast = shapely.intersects_xy(index.polygons[f], x, y)
            # the polygon is inscribed: never says inside when the circle says outside
            assert not (inside_fast & ~inside).any()
        else:
            inside = shapely.intersects_xy(index.polygons[f], x, y)
        expected |= {(int(p), f) for p in np.flatnonzero(inside)}
    # circles use a local projection; allow disagreement only within centimetres of the edge
    assert len(got ^ expected) <= 2
    assert len(got) > 100


def test_geojson_fences_and_errors() -> None:
    circle = fence_from_geojson(
        "a", {"type": "Point", "coordinates": [119.41, -5.14]}, radius_m=100
    )
    assert isinstance(circle, CircleFence) and circle.center == (-5.14, 119.41)
    with pytest.raises(GeoInputError, match="need a Polygon"):
        fence_from_geojson("b", {"type": "Point", "coordinates": [119.41, -5.14]})
    with pytest.raises(GeoInputError, match="radius_m must be > 0"):
        GeofenceIndex([CircleFence("c", BALAIKOTA, 0.0)])
    with pytest.raises(GeoInputError, match="invalid polygon"):
        GeofenceIndex([PolygonFence("bow", [[(0, 0), (1, 1), (1, 0), (0, 1)]])])
    with pytest.raises(GeoInputError, match="unique"):
        GeofenceIndex([CircleFence("x", BALAIKOTA, 1.0), CircleFence("x", BALAIKOTA, 2.0)])
    with pytest.raises(GeoInputError, match="latitude"):
        GeofenceIndex([CircleFence("x", BALAIKOTA, 1.0)]).query([100.0], [119.0])


def test_empty_index_and_points_outside_the_grid() -> None:
    assert GeofenceIndex([]).query([-5.1], [119.4]).point.size == 0
    index = GeofenceIndex([CircleFence("hall", BALAIKOTA, 300.0)])
    assert index.query([10.0, -60.0], [0.0, 170.0]).point.size == 0


def test_h3_helpers() -> None:
    cell = cell_of(*BALAIKOTA)
    assert len(cell) == 15
    assert parent(cell, 7) == cell_of(*BALAIKOTA, resolution=7)
    assert cell in disk(cell, 1) and len(disk(cell, 1)) == 7
    hexagon = cell_geojson(cell)
    assert hexagon["coordinates"][0][0] == hexagon["coordinates"][0][-1]
    square = {
        "type": "Polygon",
        "coordinates": [
            [[119.40, -5.15], [119.42, -5.15], [119.42, -5.13], [119.40, -5.13], [119.40, -5.15]]
        ],
    }
    assert cell in polygon_cells(square)
    with pytest.raises(GeoInputError):
        disk("not-a-cell", 1)
