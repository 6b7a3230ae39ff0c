"""Bad input gets a clear 4xx, never a 500, and never has its values echoed back."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import PASSWORD


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
