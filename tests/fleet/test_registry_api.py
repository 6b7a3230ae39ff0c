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


def test_null_is_refused_where_a_field_cannot_be_empty(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    """Leaving a field out keeps it; null clears only what may be empty, and is a 422 (not
    a 500 from the database, nor a 409 about duplicates) everywhere else."""
    vehicle = post(client, "vehicles", AMBULANCE, admin_headers)
    device = post(client, "devices", {"unique_id": "dev-1", "protocol": "gt06"}, admin_headers)
    refused = [
        *(("vehicles", vehicle["id"], name) for name in ("kind", "name", "active", "driver")),
        ("vehicles", vehicle["id"], "capabilities"),
        ("devices", device["id"], "protocol"),
        ("devices", device["id"], "active"),
    ]
    for path, key, name in refused:
        response = client.patch(
            f"/api/fleet/{path}/{key}", json={name: None}, headers=admin_headers
        )
        assert response.status_code == 422, (path, name, response.text)
        assert response.json()["detail"].startswith(f"body.{name}:")
        assert "cannot be null" in response.json()["detail"]
    cleared = client.patch(
        f"/api/fleet/vehicles/{vehicle['id']}",
        json={"agency_code": None, "speed_limit_kmh": None},
        headers=admin_headers,
    )
    assert cleared.status_code == 200, cleared.text
    unassigned = client.patch(
        f"/api/fleet/devices/{device['id']}", json={"vehicle_id": None}, headers=admin_headers
    )
    assert unassigned.status_code == 200 and unassigned.json()["vehicle_id"] is None
    kept = client.get(f"/api/fleet/vehicles/{vehicle['id']}", headers=admin_headers).json()
    assert (kept["kind"], kept["driver"], kept["active"]) == ("ambulance", "Andi", True)


def test_ids_and_times_out_of_range_are_a_422(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    """Too big for the id columns, or a time that has no UTC equivalent: the driver would
    raise (OverflowError, NumericValueOutOfRange) and the caller would see a 500."""
    vehicle = post(client, "vehicles", AMBULANCE, admin_headers)["id"]
    huge = 2**40
    for method, path in (
        ("GET", f"vehicles/{huge}"),
        ("PATCH", f"vehicles/{huge}"),
        ("PATCH", f"devices/{huge}"),
        ("DELETE", f"geofences/{huge}"),
    ):
        response = client.request(method, f"/api/fleet/{path}", json={}, headers=admin_headers)
        assert response.status_code == 422, (method, path, response.text)
    device = {"unique_id": "dev-2", "protocol": "gt06", "vehicle_id": huge}
    assert client.post("/api/fleet/devices", json=device, headers=admin_headers).status_code == 422
    day = {"start": "2026-11-27T00:00:00+08:00", "end": "2026-11-28T00:00:00+08:00"}
    bad_periods = [
        {**day, "vehicle_id": huge},
        {**day, "vehicle_id": vehicle, "start": "0001-01-01T00:00:00+08:00"},
        {**day, "vehicle_id": vehicle, "end": "9999-12-31T23:59:59-08:00"},
    ]
    for path in ("replay", "reports/summary", "reports/route"):
        for params in bad_periods:
            response = client.get(f"/api/fleet/{path}", params=params, headers=admin_headers)
            assert response.status_code == 422, (path, params, response.text)
    early = client.get("/api/fleet/replay", params=bad_periods[1], headers=admin_headers).json()[
        "detail"
    ]
    assert early.startswith("query.start:") and "out of range" in early
    nobody = client.get("/api/fleet/replay", params=day, headers=admin_headers)  # no vehicle
    assert nobody.status_code == 422 and nobody.json()["detail"].startswith("query.vehicle_id:")


def test_a_deleted_geofence_cannot_be_deleted_again(
    client: TestClient, app_db: Database, admin_headers: dict[str, str]
) -> None:
    point = {"type": "Point", "coordinates": [119.43, -5.15]}
    fence = post(
        client, "geofences", {"name": "Pos", "geometry": point, "radius_m": 50}, admin_headers
    )
    path = f"/api/fleet/geofences/{fence['id']}"
    assert client.delete(path, headers=admin_headers).status_code == 204
    assert client.delete(path, headers=admin_headers).status_code == 404
    with app_db.read() as session:
        deleted = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "fleet.geofence_deleted")
        ).all()
    assert len(deleted) == 1  # one deletion, one entry
