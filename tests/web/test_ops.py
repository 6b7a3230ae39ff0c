"""Health, readiness, metrics, security headers and the map API."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import bearer, create_account, make_settings
from warroom.core.db import Database
from warroom.core.security.permissions import Role
from warroom.web.app import create_app


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "bus": "ok"}


def test_readiness_fails_when_the_database_is_gone(
    client: TestClient, app_db: Database, tmp_path: Path
) -> None:
    # A real unreachable database: a folder is no SQLite file; nothing listens on port 1.
    gone = (
        f"sqlite:///{tmp_path}"
        if app_db.is_sqlite
        else "postgresql+psycopg://postgres@127.0.0.1:1/test"
    )
    client.app.state.db = Database(gone)  # type: ignore[attr-defined]
    try:
        ready = client.get("/readyz")
    finally:
        client.app.state.db = app_db  # type: ignore[attr-defined]
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"].startswith("failing")


def test_metrics_need_an_admin_token(client: TestClient, app_db: Database) -> None:
    assert client.get("/metrics").status_code == 401
    operator = bearer(client, create_account(app_db, Role.OPERATOR))
    assert client.get("/metrics", headers=operator).status_code == 403
    admin = bearer(client, create_account(app_db, Role.ADMIN))
    metrics = client.get("/metrics", headers=admin)
    assert metrics.status_code == 200
    assert "warroom_http_requests_total" in metrics.text


def test_security_headers_on_every_response(client: TestClient) -> None:
    for path in ("/login", "/healthz", "/api/me"):
        headers = client.get(path).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"


def test_map_config_without_tiles_works_offline(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    config = client.get("/api/map/config", headers=admin_headers).json()
    assert config["tiles"]["kind"] == "none"


def test_local_pmtiles_file_is_served_with_ranges(db_url: str, tmp_path: Path) -> None:
    tiles = tmp_path / "makassar.pmtiles"
    tiles.write_bytes(bytes(range(256)) * 10)
    settings = make_settings(db_url, tmp_path, map_tiles=str(tiles))
    with TestClient(create_app(settings)) as client:
        headers = bearer(client, create_account(client.app.state.db, Role.OPERATOR))  # type: ignore[attr-defined]
        config = client.get("/api/map/config", headers=headers).json()
        assert config["tiles"] == {
            "kind": "pmtiles",
            "url": "/tiles/local.pmtiles",
            "attribution": "",
        }
        part = client.get("/tiles/local.pmtiles", headers={**headers, "Range": "bytes=10-19"})
        assert part.status_code == 206 and part.content == bytes(range(10, 20))


def test_regions_geojson_has_the_15_kecamatan(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    collection = client.get("/api/geo/regions.geojson", headers=admin_headers).json()
    features = collection["features"]
    assert len(features) == 15
    mariso = next(f for f in features if f["properties"]["name"] == "Mariso")
    assert mariso["geometry"] == {"type": "Point", "coordinates": [119.409, -5.1573]}
    assert mariso["properties"]["approximate"] is True
    assert all(f["year"] and f["source"] for f in mariso["properties"]["figures"])
