"""Hostile OsmAnd requests through the real HTTP listener: a clear 400, and the connection
keeps serving the tracker's next report."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select, text

from tests.fleet.live_app import FleetApp, fleet_config, start_fleet_app
from warroom.core.config import Settings
from warroom.fleet.listeners.http import MAX_BODY
from warroom.fleet.models import Position

HUGE = "9" * 400  # a JSON integer no float can hold
DEVICE = "phone-21"


@pytest.fixture
def fleet(settings: Settings) -> Iterator[FleetApp]:
    yield from start_fleet_app(settings, fleet_config(listeners="osmand:0"))


@pytest.fixture
def http(fleet: FleetApp) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"http://127.0.0.1:{fleet.port('osmand/http')}") as client:
        yield client


def _location(latitude: str) -> str:
    return (
        f'{{"device_id": "{DEVICE}", "location": {{"timestamp": "2026-11-27T00:00:00Z", '
        f'"coords": {{"latitude": {latitude}, "longitude": 119.43}}}}}}'
    )


def test_huge_integer_in_a_json_body_is_a_400_with_the_reason(
    fleet: FleetApp, http: httpx.Client
) -> None:
    device = fleet.register(DEVICE, "osmand")["device"]
    headers = {"content-type": "application/json"}
    bad = http.post("/", content=_location(HUGE), headers=headers)
    assert bad.status_code == 400
    assert bad.text == "OsmAnd coords latitude is too large: a 400-digit integer"
    good = http.post("/", content=_location("-5.15"), headers=headers)  # same connection
    assert good.status_code == 200
    assert fleet.stored(device["id"]) == 1


def test_huge_timestamp_in_a_query_is_a_400(fleet: FleetApp, http: httpx.Client) -> None:
    fleet.register(DEVICE, "osmand")
    bad = http.get(f"/?id={DEVICE}&lat=-5.15&lon=119.43&timestamp={HUGE}")
    assert bad.status_code == 400
    assert "timestamp out of range" in bad.text


def test_report_without_timestamp_is_stored_at_its_arrival(
    fleet: FleetApp, http: httpx.Client
) -> None:
    device = fleet.register(DEVICE, "osmand")["device"]
    before = datetime.now(UTC)
    assert http.get(f"/?id={DEVICE}&lat=-5.15&lon=119.43").status_code == 200
    with fleet.db.read() as session:
        row = session.scalars(select(Position).where(Position.device_id == device["id"])).one()
    assert before <= row.time <= row.received_at


def _rename_positions(fleet: FleetApp, old: str, new: str) -> None:
    with fleet.db.write() as session:
        session.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))


def test_a_report_the_database_refuses_is_a_503_and_its_resend_is_stored(
    fleet: FleetApp, http: httpx.Client
) -> None:
    """A real failed commit (the table is gone for a moment): the tracker must not get a 200,
    nor a dropped connection it cannot tell from a network fault, and the same fix sent again
    must be stored, not filtered out as a duplicate of the one that was not."""
    device = fleet.register(DEVICE, "osmand")["device"]
    report = f"/?id={DEVICE}&lat=-5.15&lon=119.43&timestamp=1795000000"
    _rename_positions(fleet, "fleet_positions", "fleet_positions_away")
    try:
        refused = http.get(report)
    finally:
        _rename_positions(fleet, "fleet_positions_away", "fleet_positions")
    assert refused.status_code == 503
    assert refused.text == "not stored, send it again"
    assert refused.headers["retry-after"] == "5"
    assert http.get(report).status_code == 200  # the same connection, the same fix
    assert fleet.stored(device["id"]) == 1


def test_a_body_over_the_limit_is_a_413_and_nothing_is_stored(
    fleet: FleetApp, http: httpx.Client
) -> None:
    device = fleet.register(DEVICE, "osmand")["device"]
    padding = " " * MAX_BODY
    answer = http.post("/", content=_location("-5.15") + padding)
    assert answer.status_code == 413
    assert answer.text == f"body over {MAX_BODY} bytes"
    assert fleet.stored(device["id"]) == 0
