"""Bad input gets a clear 4xx, never a 500, and never has its values echoed back."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import PASSWORD, create_account
from warroom.core.db import Database
from warroom.core.security.permissions import Role


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"{not json", "JSON"),
        (
            b'{"username": "ani", "role": "operator", "password": "'
            + PASSWORD.encode()
            + b'", "shoe_size": 42}',
            "shoe_size",
        ),
        (b'{"username": "ani", "role": "operator", "password": 12345678901}', "password"),
        (b'{"username": "ani", "role": "mayor", "password": "' + PASSWORD.encode() + b'"}', "role"),
        (
            b'{"username": "A N I", "role": "operator", "password": "' + PASSWORD.encode() + b'"}',
            "username",
        ),
        (b"[]", "body"),
    ],
)
def test_malformed_bodies_get_422_with_a_message(
    client: TestClient, admin_headers: dict[str, str], body: bytes, expected: str
) -> None:
    response = client.post(
        "/api/users", content=body, headers={**admin_headers, "content-type": "application/json"}
    )
    assert response.status_code == 422
    assert expected in response.text
    assert PASSWORD not in response.text, "validation errors must not echo submitted values"


def test_oversize_body_gets_413(client: TestClient, admin_headers: dict[str, str]) -> None:
    response = client.post(
        "/api/users",
        content=b"x" * 2_000_000,
        headers={**admin_headers, "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]


def test_oversize_chunked_body_gets_413(client: TestClient, admin_headers: dict[str, str]) -> None:
    def chunks():  # no Content-Length: the limit must be found while reading
        for _ in range(40):
            yield b"x" * 65536

    response = client.post(
        "/api/users",
        content=chunks(),
        headers={**admin_headers, "content-type": "application/json"},
    )
    assert response.status_code == 413


def test_wrong_path_parameter_type(client: TestClient, admin_headers: dict[str, str]) -> None:
    response = client.patch("/api/users/abc", json={}, headers=admin_headers)
    assert response.status_code == 422 and "user_id" in response.json()["detail"]


def test_unknown_user_is_404(client: TestClient, admin_headers: dict[str, str]) -> None:
    response = client.patch("/api/users/999", json={"active": False}, headers=admin_headers)
    assert response.status_code == 404 and "999" in response.json()["detail"]


def test_bad_query_value(client: TestClient, admin_headers: dict[str, str]) -> None:
    response = client.get("/api/geo/regions?level=galaxy", headers=admin_headers)
    assert response.status_code == 422 and "level" in response.json()["detail"]


def test_unknown_route_is_404_json(client: TestClient) -> None:
    response = client.get("/api/nothing-here")
    assert response.status_code == 404 and response.json()["detail"]


def test_null_for_a_field_a_record_cannot_be_without_is_a_422_in_every_update(
    client: TestClient, admin_headers: dict[str, str], app_db: Database
) -> None:
    """A partial update may leave a field out; a null there used to reach a NOT NULL column
    and come back as a 500. Fields that may be empty can still be cleared."""
    from tests.cameras.test_registry import camera_body
    from tests.weather.test_api import STATION

    camera = client.post("/api/cameras", json=camera_body(), headers=admin_headers).json()
    station = client.post("/api/weather/stations", json=STATION, headers=admin_headers).json()
    user = create_account(app_db, Role.OPERATOR)
    refused = [
        *((f"/api/cameras/{camera['id']}", name) for name in
          ("name", "main_url", "ptz", "tags", "recording")),
        *((f"/api/weather/stations/{station['id']}", name) for name in
          ("name", "active", "interval_seconds")),
        *((f"/api/users/{user.id}", name) for name in ("display_name", "role", "active")),
    ]  # fmt: skip
    for path, name in refused:
        response = client.patch(path, json={name: None}, headers=admin_headers)
        assert response.status_code == 422, (path, name, response.text)
        assert response.json()["detail"].startswith(f"body.{name}:")
        assert "cannot be null" in response.json()["detail"]
    cleared = client.patch(
        f"/api/cameras/{camera['id']}", json={"sub_url": None}, headers=admin_headers
    )
    assert cleared.status_code == 200 and cleared.json()["sub_url"] is None
