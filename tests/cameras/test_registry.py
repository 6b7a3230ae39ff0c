"""Camera registry: credentials encrypted at rest, map layer, partner scope, bad input."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import bearer, create_account
from warroom.cameras.crypto import CredentialBox
from warroom.cameras.models import Camera
from warroom.core.audit import AuditEntry
from warroom.core.db import Database
from warroom.core.errors import InvalidInputError
from warroom.core.outbox import OutboxMessage
from warroom.core.security.permissions import Role

LOSARI = {"lat": -5.1436, "lon": 119.4075}


def camera_body(name: str = "Losari-01", **extra: object) -> dict[str, object]:
    body: dict[str, object] = {
        "name": name,
        "main_url": "rtsp://10.20.0.11:554/main",
        "sub_url": "rtsp://10.20.0.11:554/sub",
        "onvif_url": "http://10.20.0.11:80/onvif/device_service",
        "username": "operator",
        "password": "s3cret-pass",
        "direction_deg": 270,
        "fov_deg": 70,
        "ptz": True,
        "tags": ["pantai", "ptz"],
        **LOSARI,
    }
    body.update(extra)
    return body


def test_camera_credentials_are_encrypted_and_never_returned(
    client: TestClient, admin_headers: dict[str, str], app_db: Database
) -> None:
    created = client.post("/api/cameras", json=camera_body(), headers=admin_headers)
    assert created.status_code == 201, created.text
    read = created.json()
    assert read["has_credentials"] is True
    assert "password" not in read and "s3cret" not in created.text
    with app_db.read() as session:
        row = session.scalars(select(Camera)).one()
        assert row.password_enc and "s3cret" not in row.password_enc
        assert row.h3_cell is not None
        box = CredentialBox(client.app.state.settings.secret_key.get_secret_value())  # type: ignore[attr-defined]
        assert box.decrypt(row.password_enc) == "s3cret-pass"
        trail = session.scalars(select(AuditEntry).where(AuditEntry.action == "camera.created"))
        assert all("s3cret" not in str(entry.detail) for entry in trail)
        topics = session.scalars(select(OutboxMessage.topic)).all()
        assert "cameras.camera_registered" in topics


def test_credentials_from_another_secret_fail_clearly() -> None:
    token = CredentialBox("first-secret-0123456789").encrypt("pw")
    with pytest.raises(InvalidInputError, match="secret_key"):
        CredentialBox("other-secret-0123456789").decrypt(token)


def test_map_layer_and_filters(client: TestClient, admin_headers: dict[str, str]) -> None:
    client.post("/api/cameras", json=camera_body(), headers=admin_headers)
    client.post(
        "/api/cameras",
        json=camera_body("Unplaced", lat=None, lon=None, tags=["gudang"]),
        headers=admin_headers,
    )
    layer = client.get("/api/cameras.geojson", headers=admin_headers).json()
    assert [f["properties"]["name"] for f in layer["features"]] == ["Losari-01"]
    assert layer["features"][0]["geometry"]["coordinates"] == [119.4075, -5.1436]
    tagged = client.get("/api/cameras", params={"tag": "gudang"}, headers=admin_headers).json()
    assert [c["name"] for c in tagged] == ["Unplaced"]


def test_bad_input_is_a_clear_4xx(client: TestClient, admin_headers: dict[str, str]) -> None:
    cases = [
        camera_body(main_url="rtsp://admin:pw@10.0.0.1/main"),
        camera_body(main_url="http://not-rtsp"),
        camera_body(lat=None),
        camera_body(group_id=999),
        camera_body(agency_code="nope"),
        {**camera_body(), "colour": "red"},
    ]
    for body in cases:
        response = client.post("/api/cameras", json=body, headers=admin_headers)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["detail"]
    client.post("/api/cameras", json=camera_body(), headers=admin_headers)
    again = client.post("/api/cameras", json=camera_body(), headers=admin_headers)
    assert again.status_code == 409
    assert client.get("/api/cameras/999", headers=admin_headers).status_code == 404


def test_update_group_and_delete(client: TestClient, admin_headers: dict[str, str]) -> None:
    group = client.post(
        "/api/camera-groups",
        json={"name": "Pantai Losari", "hot_days": 14, "event_days": 180, "archive_days": 1826},
        headers=admin_headers,
    ).json()
    camera = client.post("/api/cameras", json=camera_body(), headers=admin_headers).json()
    patched = client.patch(
        f"/api/cameras/{camera['id']}",
        json={"group_id": group["id"], "password": "n3w-pass", "recording": False},
        headers=admin_headers,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["group_id"] == group["id"]
    assert client.delete(f"/api/cameras/{camera['id']}", headers=admin_headers).status_code == 204
    assert client.get(f"/api/cameras/{camera['id']}", headers=admin_headers).status_code == 404


def test_partners_see_only_their_agency(
    client: TestClient, admin_headers: dict[str, str], app_db: Database
) -> None:
    client.post(
        "/api/cameras", json=camera_body("Pos Damkar", agency_code="fire"), headers=admin_headers
    )
    other = client.post(
        "/api/cameras", json=camera_body("Balai Kota"), headers=admin_headers
    ).json()
    partner = bearer(client, create_account(app_db, Role.PARTNER, agency="fire"))
    seen = client.get("/api/cameras", headers=partner).json()
    assert [c["name"] for c in seen] == ["Pos Damkar"]
    assert client.get(f"/api/cameras/{other['id']}", headers=partner).status_code == 404
    operator = bearer(client, create_account(app_db, Role.OPERATOR))
    assert client.post("/api/cameras", json=camera_body("X"), headers=operator).status_code == 403
