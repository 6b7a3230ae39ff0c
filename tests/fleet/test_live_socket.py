"""`/ws/fleet`: live positions for the map, scoped by agency, starting with what the hub knows."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.conftest import create_account, login_browser_session
from warroom.core.bus.events import Event
from warroom.core.db import Database
from warroom.core.security.permissions import Role
from warroom.fleet.events import DeviceUpdated, PositionsUpdated, VehicleUpdated


def _position(device_id: int, agency: str | None, lat: float) -> dict[str, Any]:
    return {
        "device_id": device_id,
        "vehicle_id": 100 + device_id,
        "agency_code": agency,
        "lat": lat,
        "lon": 119.42,
    }


def _publish(client: TestClient, event: Event) -> None:
    client.portal.call(client.app.state.bus.publish, event)  # type: ignore[union-attr,attr-defined]


def _positions(ws: Any) -> list[dict[str, Any]]:
    while (message := json.loads(ws.receive_text()))["type"] != "positions":
        pass
    return message["positions"]  # type: ignore[no-any-return]


def test_a_new_screen_first_gets_every_known_vehicle(client: TestClient, app_db: Database) -> None:
    """A vehicle that reported once, just before the page opened, is on the map at once."""
    _publish(client, PositionsUpdated(agency_code="fire", positions=[_position(1, "fire", -5.1)]))
    _publish(client, PositionsUpdated(agency_code=None, positions=[_position(2, None, -5.2)]))
    _publish(client, PositionsUpdated(agency_code="fire", positions=[_position(1, "fire", -5.3)]))
    login_browser_session(client, create_account(app_db, Role.OPERATOR))
    with client.websocket_connect("/ws/fleet") as ws:
        first = _positions(ws)
    assert sorted((p["device_id"], p["lat"]) for p in first) == [(1, -5.3), (2, -5.2)]


def test_a_partner_gets_only_its_agencys_vehicles(client: TestClient, app_db: Database) -> None:
    _publish(client, PositionsUpdated(agency_code="police", positions=[_position(3, "police", 0)]))
    login_browser_session(client, create_account(app_db, Role.PARTNER, agency="fire"))
    with client.websocket_connect("/ws/fleet") as ws:
        _publish(
            client, PositionsUpdated(agency_code="police", positions=[_position(3, "police", 1)])
        )
        _publish(client, PositionsUpdated(agency_code="fire", positions=[_position(4, "fire", 2)]))
        first = _positions(ws)
    assert [p["device_id"] for p in first] == [4]


def test_a_vehicle_changed_in_the_registry_is_not_replayed(
    client: TestClient, app_db: Database
) -> None:
    """Moved to another agency (or its tracker changed): the old payload, with the old agency,
    must not reach a new screen; the vehicle's next report brings it back."""
    positions = [_position(5, "fire", -5.1), _position(6, "fire", -5.2), _position(7, "fire", 0)]
    _publish(client, PositionsUpdated(agency_code="fire", positions=positions))
    _publish(client, VehicleUpdated(vehicle_id=105, agency_code="police"))
    _publish(client, DeviceUpdated(device_id=6, unique_id="86000000000006"))
    login_browser_session(client, create_account(app_db, Role.PARTNER, agency="fire"))
    with client.websocket_connect("/ws/fleet") as ws:
        first = _positions(ws)
    assert [p["device_id"] for p in first] == [7]


def test_anonymous_socket_is_closed_with_4401(client: TestClient) -> None:
    with client.websocket_connect("/ws/fleet") as ws, pytest.raises(WebSocketDisconnect) as exc:
        ws.receive_text()
    assert exc.value.code == 4401
