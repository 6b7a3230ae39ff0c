"""The weather API: stations, HTTP ingestion with device keys, SensorThings, climate, pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.conftest import bearer, create_account
from tests.weather.conftest import recent
from warroom.core.clock import WITA
from warroom.core.db import Database
from warroom.core.security.permissions import Role

STATION = {
    "code": "ARG-01",
    "name": "ARG Tamalanrea",
    "kind": "rain_gauge",
    "lat": -5.135,
    "lon": 119.49,
}


def _device(client: TestClient, admin: dict[str, str]) -> dict[str, str]:
    issued = client.post(
        "/api/device-keys", headers=admin, json={"name": "arg-01", "kind": "sensor"}
    )
    return {"Authorization": f"Bearer {issued.json()['key']}"}


def test_register_ingest_and_read(client: TestClient, admin_headers: dict[str, str]) -> None:
    created = client.post("/api/weather/stations", headers=admin_headers, json=STATION)
    assert created.status_code == 201, created.text
    assert created.json()["kecamatan_code"].startswith("73.71.")
    device = _device(client, admin_headers)
    when = recent(5)
    body = [{"station": "ARG-01", "observed_at": when.isoformat(), "values": {"rain_mm": 0.4}}]
    ingested = client.post("/api/weather/observations", headers=device, json=body)
    assert ingested.status_code == 200, ingested.text
    assert ingested.json() == {"accepted": 1, "flagged": 0, "rejected": []}
    (station,) = client.get("/api/weather/stations", headers=admin_headers).json()
    assert station["latest"][0]["value"] == 0.4
    observations = client.get(
        f"/api/weather/stations/{station['id']}/observations",
        params={"quantity": "rain_mm"},
        headers=admin_headers,
    )
    assert observations.json()[0]["value"] == 0.4


def test_bad_input_is_a_clear_4xx(client: TestClient, admin_headers: dict[str, str]) -> None:
    client.post("/api/weather/stations", headers=admin_headers, json=STATION)
    assert (
        client.post("/api/weather/stations", headers=admin_headers, json=STATION).status_code == 409
    )
    device = _device(client, admin_headers)
    when = recent().isoformat()
    cases = [
        {"station": "ARG-01", "observed_at": "2026-11-27T10:00:00", "values": {"rain_mm": 1}},
        {"station": "ARG-01", "observed_at": when, "values": {"rain_mm": "lots"}},
        {"station": "ARG-01", "observed_at": when, "values": {}},
        {"station": "ARG-01", "observed_at": when, "values": {"rain_mm": 1}, "extra": 1},
    ]
    for body in cases:
        assert (
            client.post("/api/weather/observations", headers=device, json=body).status_code == 422
        )
    unknown = client.post(
        "/api/weather/observations",
        headers=device,
        json={"station": "NOPE", "observed_at": when, "values": {"rain_mm": 1}},
    )
    assert unknown.status_code == 422 and "unknown station" in unknown.json()["detail"]
    assert (
        client.post("/api/weather/observations", headers=admin_headers, json=cases[0]).status_code
        == 403
    )


def test_sensorthings_browse_and_post(client: TestClient, admin_headers: dict[str, str]) -> None:
    station_id = client.post("/api/weather/stations", headers=admin_headers, json=STATION).json()[
        "id"
    ]
    things = client.get("/api/weather/v1.0/Things", headers=admin_headers).json()["value"]
    assert things[0]["Locations"][0]["location"]["coordinates"] == [119.49, -5.135]
    streams = client.get(
        f"/api/weather/v1.0/Things({station_id})/Datastreams", headers=admin_headers
    )
    stream_id = streams.json()["value"][0]["@iot.id"]
    device = _device(client, admin_headers)
    posted = client.post(
        "/api/weather/v1.0/Observations",
        headers=device,
        json={
            "phenomenonTime": recent().isoformat(),
            "result": 2.5,
            "Datastream": {"@iot.id": stream_id},
        },
    )
    assert posted.status_code == 201, posted.text
    observations = client.get(
        f"/api/weather/v1.0/Datastreams({stream_id})/Observations", headers=admin_headers
    )
    assert observations.json()["value"][0]["result"] == 2.5
    missing = client.post(
        "/api/weather/v1.0/Observations",
        headers=device,
        json={"phenomenonTime": recent().isoformat(), "result": 1, "Datastream": {"@iot.id": 999}},
    )
    assert missing.status_code == 404


def test_climate_daily_monthly_csv(client: TestClient, admin_headers: dict[str, str]) -> None:
    station_id = client.post("/api/weather/stations", headers=admin_headers, json=STATION).json()[
        "id"
    ]
    device = _device(client, admin_headers)
    start = recent(3 * 24 * 60)
    body = [
        {
            "station": "ARG-01",
            "observed_at": (start + timedelta(hours=h)).isoformat(),
            "values": {"rain_mm": 1.0},
        }
        for h in range(48)
    ]
    assert client.post("/api/weather/observations", headers=device, json=body).status_code == 200
    daily = client.get(f"/api/weather/stations/{station_id}/daily", headers=admin_headers).json()
    assert sum(d["total"] for d in daily) == 48 and sum(d["count"] for d in daily) == 48
    month = start.astimezone(WITA).strftime("%m")  # climate months are WITA months
    client.put(
        f"/api/weather/stations/{station_id}/normals",
        headers=admin_headers,
        json={
            "quantity": "rain_mm",
            "month": int(month),
            "value": 300,
            "source": "BMKG normal 1991-2020",
        },
    )
    monthly = client.get(
        f"/api/weather/stations/{station_id}/monthly", headers=admin_headers
    ).json()
    first = next(m for m in monthly if m["normal"] is not None)
    assert first["anomaly"] == round(first["value"] - 300, 2)
    csv = client.get(f"/api/weather/stations/{station_id}/daily?format=csv", headers=admin_headers)
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0] == "day,count,total,mean,min,max"
    code = client.get(f"/api/weather/stations/{station_id}", headers=admin_headers).json()[
        "kecamatan_code"
    ]
    per_kecamatan = client.get(f"/api/weather/kecamatan/{code}/daily", headers=admin_headers).json()
    assert sum(d["value"] for d in per_kecamatan) == 48


def test_partners_see_only_their_agencys_stations(
    client: TestClient, app_db: Database, admin_headers: dict[str, str]
) -> None:
    client.post("/api/weather/stations", headers=admin_headers, json=STATION)
    own = client.post(
        "/api/weather/stations",
        headers=admin_headers,
        json={**STATION, "code": "FIRE-1", "agency_code": "fire"},
    ).json()
    partner = bearer(client, create_account(app_db, Role.PARTNER, agency="fire"))
    assert [s["code"] for s in client.get("/api/weather/stations", headers=partner).json()] == [
        "FIRE-1"
    ]
    assert client.get(f"/api/weather/stations/{own['id'] - 1}", headers=partner).status_code == 404
    assert client.post("/api/weather/stations", headers=partner, json=STATION).status_code == 403


def test_station_page_renders(
    client: TestClient, admin_headers: dict[str, str], app_db: Database
) -> None:
    from tests.conftest import login_browser_session

    station_id = client.post("/api/weather/stations", headers=admin_headers, json=STATION).json()[
        "id"
    ]
    login_browser_session(client, create_account(app_db, Role.OPERATOR))
    page = client.get(f"/weather/stations/{station_id}")
    assert page.status_code == 200 and "ARG Tamalanrea" in page.text
    assert "/static/app/weather.js" in page.text
    assert client.get("/weather/stations/999").status_code == 404


@pytest.mark.parametrize("kind", ["daily", "monthly"])
def test_climate_refuses_an_unknown_format(
    client: TestClient, admin_headers: dict[str, str], kind: str
) -> None:
    station_id = client.post("/api/weather/stations", headers=admin_headers, json=STATION).json()[
        "id"
    ]
    refused = client.get(
        f"/api/weather/stations/{station_id}/{kind}?format=xml", headers=admin_headers
    )
    assert refused.status_code == 422 and "format" in refused.text
