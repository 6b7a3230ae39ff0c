"""Fleet registry API: vehicles, devices, unknown devices, geofences; audit; partner scope;
clear 4xx on bad input."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import TEST_ACTOR, bearer, create_account
from warroom.accounts import service as accounts
from warroom.accounts.schemas import AgencyCreate
from warroom.core.audit import AuditEntry
from warroom.core.db import Database
from warroom.core.security.permissions import Role

AMBULANCE = {"plate": "DD 1234 AB", "kind": "ambulance", "capabilities": ["als"], "driver": "Andi"}


def agency(db: Database, code: str) -> None:
    with db.write() as session:
        accounts.create_agency(
            session,
            data=AgencyCreate(code=code, name=code.title(), kind="health"),
            actor=TEST_ACTOR,
        )


def post(client: TestClient, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    response = client.post(f"/api/fleet/{path}", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_register_vehicle_and_device(
    client: TestClient, app_db: Database, admin_headers: dict[str, str]
) -> None:
    vehicle = post(client, "vehicles", AMBULANCE, admin_headers)
    device = post(
        client,
        "devices",
        {"unique_id": "359339071234567", "protocol": "gt06", "vehicle_id": vehicle["id"]},
        admin_headers,
    )
    assert device["vehicle_id"] == vehicle["id"]
    listed = client.get("/api/fleet/devices", headers=admin_headers).json()
    assert [d["unique_id"] for d in listed] == ["359339071234567"]
    live = client.get("/api/fleet/live", headers=admin_headers).json()
    assert live[0]["plate"] == "DD 1234 AB" and live[0]["online"] is False
    with app_db.read() as session:
        actions = set(session.scalars(select(AuditEntry.action)))
    assert {"fleet.vehicle_created", "fleet.device_registered"} <= actions


def test_bad_input_is_a_clear_4xx(client: TestClient, admin_headers: dict[str, str]) -> None:
    post(client, "vehicles", AMBULANCE, admin_headers)
    cases = [
        ("vehicles", AMBULANCE, 409),
        ("vehicles", {**AMBULANCE, "plate": "dd 1"}, 422),
        ("vehicles", {**AMBULANCE, "plate": "DD 9 X", "kind": "tank"}, 422),
        ("vehicles", {**AMBULANCE, "plate": "DD 9 X", "colour": "red"}, 422),
        ("vehicles", {**AMBULANCE, "plate": "DD 9 X", "agency_code": "nope"}, 409),
        ("devices", {"unique_id": "1", "protocol": "smoke-signals"}, 422),
        ("devices", {"unique_id": "1", "protocol": "gt06", "vehicle_id": 999}, 422),
        ("geofences", {"name": "x", "geometry": {"type": "Point", "coordinates": [1, 2]}}, 422),
        ("geofences", {"name": "x", "geometry": {"type": "Blob"}}, 422),
    ]
    for path, body, status in cases:
        response = client.post(f"/api/fleet/{path}", json=body, headers=admin_headers)
        assert response.status_code == status, (path, body, response.text)
    assert client.get("/api/fleet/vehicles/999", headers=admin_headers).status_code == 404
    bad_period = client.get(
        "/api/fleet/reports/trips",
        params={"vehicle_id": 1, "start": "2026-11-27T00:00:00", "end": "2026-11-28T00:00:00"},
        headers=admin_headers,
    )
    assert bad_period.status_code == 422 and "zone" in bad_period.text


def test_partner_sees_only_its_agency(
    client: TestClient, app_db: Database, admin_headers: dict[str, str]
) -> None:
    agency(app_db, "damkar")
    agency(app_db, "dinkes")
    fire = post(
        client,
        "vehicles",
        {"plate": "DD 113 DK", "kind": "fire_truck", "agency_code": "damkar"},
        admin_headers,
    )
    post(
        client,
        "vehicles",
        {"plate": "DD 118 KS", "kind": "ambulance", "agency_code": "dinkes"},
        admin_headers,
    )
    partner = bearer(client, create_account(app_db, Role.PARTNER, agency="damkar"))
    plates = [v["plate"] for v in client.get("/api/fleet/vehicles", headers=partner).json()]
    assert plates == ["DD 113 DK"]
    assert client.get(f"/api/fleet/vehicles/{fire['id'] + 1}", headers=partner).status_code == 404
    assert client.post("/api/fleet/vehicles", json=AMBULANCE, headers=partner).status_code == 403
    assert client.get("/api/fleet/unknown-devices", headers=partner).status_code == 403


def test_geofence_lifecycle(client: TestClient, admin_headers: dict[str, str]) -> None:
    square = [[119.40, -5.15], [119.41, -5.15], [119.41, -5.14], [119.40, -5.14], [119.40, -5.15]]
    fence = post(
        client,
        "geofences",
        {"name": "Pantai Losari", "geometry": {"type": "Polygon", "coordinates": [square]}},
        admin_headers,
    )
    assert [
        f["name"] for f in client.get("/api/fleet/geofences", headers=admin_headers).json()
    ] == ["Pantai Losari"]
    gone = client.delete(f"/api/fleet/geofences/{fence['id']}", headers=admin_headers)
    assert gone.status_code == 204
    assert client.get("/api/fleet/geofences", headers=admin_headers).json() == []
