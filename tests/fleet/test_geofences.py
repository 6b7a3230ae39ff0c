"""Geofences: geometry checked strictly at the API, and a stored fence that cannot be built
left out (and logged) instead of stopping the geofence report and the fleet pipeline."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.fleet.live_app import FleetApp, fleet_config, start_fleet_app, wait_for
from warroom.core.config import Settings
from warroom.core.db import Database
from warroom.fleet.fences import load_fences
from warroom.fleet.models import Geofence

LON, LAT = 119.43, -5.15
SQUARE = [[LON, LAT], [LON + 0.01, LAT], [LON + 0.01, LAT + 0.01], [LON, LAT + 0.01], [LON, LAT]]
GOOD = {"name": "Lapangan Karebosi", "geometry": {"type": "Polygon", "coordinates": [SQUARE]}}


def polygon(*rings: list[list[Any]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": list(rings)}


BOWTIE = [[LON, LAT], [LON + 0.01, LAT + 0.01], [LON + 0.01, LAT], [LON, LAT + 0.01], [LON, LAT]]
FAR_HOLE = [[LON + 1, LAT], [LON + 1.01, LAT], [LON + 1.01, LAT + 0.01], [LON + 1, LAT]]
POINT = {"type": "Point", "coordinates": [LON, LAT]}
LINE = {"type": "LineString", "coordinates": [[LON, LAT], [LON + 0.01, LAT]]}
BAD_GEOFENCES: list[tuple[dict[str, Any], str]] = [
    ({"geometry": polygon([[math.nan, LAT], *SQUARE[1:-1], [math.nan, LAT]])}, "finite"),
    ({"geometry": polygon([[math.inf, LAT], *SQUARE[1:]])}, "finite"),
    ({"geometry": polygon([[LON, -95.0], *SQUARE[1:-1], [LON, -95.0]])}, "latitude"),
    ({"geometry": polygon([[200.0, LAT], *SQUARE[1:-1], [200.0, LAT]])}, "longitude"),
    ({"geometry": polygon(SQUARE[:-1])}, "start"),  # not closed
    ({"geometry": polygon(SQUARE[:3])}, "at least 4"),
    ({"geometry": polygon([["119.43", LAT], *SQUARE[1:]])}, "number"),
    ({"geometry": polygon([[True, LAT], *SQUARE[1:]])}, "number"),
    ({"geometry": polygon([[LON], *SQUARE[1:]])}, "at least 2"),
    ({"geometry": polygon([[LON, LAT, 0, 0], *SQUARE[1:]])}, "at most 3"),
    ({"geometry": polygon()}, "at least 1"),
    ({"geometry": polygon(BOWTIE)}, "Self-intersection"),
    ({"geometry": polygon(SQUARE, FAR_HOLE)}, "invalid polygon"),
    ({"geometry": polygon(SQUARE), "radius_m": 100}, "does not apply"),
    ({"geometry": POINT}, "needs radius_m"),
    ({"geometry": POINT, "radius_m": math.nan}, "radius_m"),
    ({"geometry": POINT, "radius_m": 0}, "radius_m"),
    ({"geometry": POINT, "radius_m": 1e9}, "radius_m"),
    ({"geometry": POINT, "half_width_m": 10}, "needs radius_m"),
    ({"geometry": LINE}, "needs half_width_m"),
    ({"geometry": {**LINE, "coordinates": LINE["coordinates"][:1]}, "half_width_m": 9}, "least 2"),
    ({"geometry": {"type": "MultiPolygon", "coordinates": [[SQUARE]]}}, "does not match"),
    ({"geometry": {"type": "Polygon"}}, "coordinates"),
    ({"geometry": {**polygon(SQUARE), "crs": "EPSG:3857"}}, "crs"),
]


def test_bad_geometry_is_a_clear_422_and_nothing_is_stored(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    for body, said in BAD_GEOFENCES:
        response = client.post(  # json.dumps writes NaN and Infinity as a careless client does
            "/api/fleet/geofences",
            content=json.dumps({"name": "Bad", **body}),
            headers={**admin_headers, "Content-Type": "application/json"},
        )
        assert response.status_code == 422, (body, response.text)
        assert said in response.json()["detail"], (body, response.json()["detail"])
    assert client.get("/api/fleet/geofences", headers=admin_headers).json() == []


def test_good_shapes_are_stored_including_holes_of_any_size(
    client: TestClient, app_db: Database, admin_headers: dict[str, str]
) -> None:
    outer = [[LON, LAT], [LON + 0.05, LAT], [LON + 0.05, LAT + 0.05], [LON, LAT + 0.05], [LON, LAT]]
    triangle = [[LON + 0.01, LAT + 0.01], [LON + 0.02, LAT + 0.01], [LON + 0.02, LAT + 0.02]]
    square = [[LON + 0.03, LAT + 0.03], [LON + 0.04, LAT + 0.03], [LON + 0.04, LAT + 0.04],
              [LON + 0.03, LAT + 0.04]]  # fmt: skip
    bodies = [
        GOOD,
        {
            "name": "Taman",
            "geometry": polygon(outer, [*triangle, triangle[0]], [*square, square[0]]),
        },
        {"name": "Pos", "geometry": {**POINT, "coordinates": [LON, LAT, 12.5]}, "radius_m": 80},
        {"name": "Jalan", "geometry": LINE, "half_width_m": 25},
    ]
    for body in bodies:
        response = client.post("/api/fleet/geofences", json=body, headers=admin_headers)
        assert response.status_code == 201, response.text
    fences = load_fences(app_db)
    park = next(key for key, name in fences.names.items() if name == "Taman")
    assert park in fences.at(LAT + 0.025, LON + 0.025)  # between the holes
    assert park not in fences.at(LAT + 0.035, LON + 0.035)  # in the square hole


def store_raw(db: Database, name: str, geometry: Any, **size: float) -> int:
    """A row as an older version (or a hand edit) may have left it: no API checks."""
    with db.write() as session:
        row = Geofence(name=name, geometry=geometry, **size)
        session.add(row)
        session.flush()
        return row.id


def store_bad_rows(db: Database) -> list[int]:
    bad = [
        store_raw(db, "bowtie", polygon(BOWTIE)),
        store_raw(db, "off the earth", polygon([[LON, -95.0], *SQUARE[1:-1], [LON, -95.0]])),
        store_raw(db, "no radius", POINT),
        store_raw(db, "no shape", "Polygon"),
        store_raw(db, "two points", polygon(SQUARE[:2])),
        store_raw(db, "hole outside", polygon(SQUARE, FAR_HOLE)),
    ]
    if db.engine.dialect.name == "sqlite":  # PostgreSQL's JSON refuses NaN itself
        bad.append(store_raw(db, "nan", polygon([[math.nan, LAT], *SQUARE[1:]])))
    return bad


def test_a_stored_fence_that_cannot_be_built_is_left_out_and_logged(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    good = store_raw(db, "Karebosi", GOOD["geometry"])
    bad = store_bad_rows(db)
    caplog.set_level(logging.ERROR, logger="warroom.fleet.fences")
    fences = load_fences(db)
    assert fences.names == {good: "Karebosi"}
    assert fences.at(LAT + 0.005, LON + 0.005) == {good}
    logged = [record.getMessage() for record in caplog.records]
    assert len(logged) == len(bad)
    for fence_id, message in zip(bad, logged, strict=True):
        assert message.startswith(f"geofence {fence_id} ")


@pytest.fixture
def fleet_with_bad_fences(settings: Settings) -> Iterator[tuple[FleetApp, int]]:
    db = Database(settings.database_url)
    good = store_raw(db, "Karebosi", GOOD["geometry"])
    store_bad_rows(db)
    db.dispose()
    yield from (
        (fleet, good) for fleet in start_fleet_app(settings, fleet_config(listeners="osmand:0"))
    )


def test_the_fleet_starts_and_takes_new_fences_despite_a_bad_stored_one(
    fleet_with_bad_fences: tuple[FleetApp, int],
) -> None:
    fleet, good = fleet_with_bad_fences
    pipeline = fleet.service.pipeline
    assert pipeline is not None and pipeline.tracker.fences.names == {good: "Karebosi"}
    body = {"name": "Pos", "geometry": POINT, "radius_m": 80}
    created = fleet.client.post("/api/fleet/geofences", json=body, headers=fleet.headers)
    assert created.status_code == 201, created.text
    new = created.json()["id"]
    wait_for(lambda: new in pipeline.tracker.fences.names, "the new fence reaches the tracker")
