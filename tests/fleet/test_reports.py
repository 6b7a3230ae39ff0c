"""Reports over stored positions (JSON, CSV, XLSX), replay, and the retention purge."""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from tests.conftest import TEST_ACTOR, bearer, create_account
from warroom.accounts import service as accounts
from warroom.accounts.schemas import AgencyCreate
from warroom.core.audit import AuditEntry
from warroom.core.clock import utcnow
from warroom.core.db import Database
from warroom.core.security.permissions import Role
from warroom.fleet import api, reports, retention, service, store
from warroom.fleet.retention import purge_positions
from warroom.fleet.schemas import DeviceCreate, GeofenceCreate, VehicleCreate

START = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
METERS_PER_DEG_LAT = 111_195.0


def setup_vehicle(db: Database) -> tuple[int, int]:
    with db.write() as session:
        vehicle = service.create_vehicle(
            session, data=VehicleCreate(plate="DD 7 GB", kind="garbage_truck"), actor=TEST_ACTOR
        )
        device = service.create_device(
            session,
            data=DeviceCreate(unique_id="dev-7", protocol="osmand", vehicle_id=vehicle.id),
            actor=TEST_ACTOR,
        )
        service.create_geofence(
            session,
            data=GeofenceCreate(
                name="TPA Antang",
                geometry={
                    "type": "Point",
                    "coordinates": [119.43, -5.15 + 3000 / METERS_PER_DEG_LAT],
                },
                radius_m=300,
            ),
            actor=TEST_ACTOR,
        )
        return vehicle.id, device.id


def store_drive(db: Database, vehicle_id: int, device_id: int, start: datetime = START) -> int:
    """Parked 5 min, 6 km north at 36 km/h, parked 5 min; a fix every 10 s."""
    plan = [(s, 0.0, 0.0) for s in range(0, 300, 10)]
    plan += [(300 + s, s * 10.0, 36.0) for s in range(0, 610, 10)]
    plan += [(910 + s, 6100.0, 0.0) for s in range(0, 300, 10)]
    rows = [
        (device_id, vehicle_id, start + timedelta(seconds=s), utcnow(), True,
         -5.15 + north / METERS_PER_DEG_LAT, 119.43, speed, 0.0, None, 9, {})
        for s, north, speed in plan
    ]  # fmt: skip
    with db.write() as session:
        store.insert_positions(session, rows)
    return len(rows)


def get_report(
    client: TestClient, headers: dict[str, str], kind: str, vehicle: int, fmt: str = "json"
) -> Any:
    response = client.get(
        f"/api/fleet/reports/{kind}",
        params={"vehicle_id": vehicle, "start": START.isoformat(),
                "end": (START + timedelta(days=1)).isoformat(), "format": fmt},
        headers=headers,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    return response


def test_trip_stop_summary_and_geofence_reports(
    client: TestClient, app_db: Database, admin_headers: dict[str, str]
) -> None:
    vehicle, device = setup_vehicle(app_db)
    count = store_drive(app_db, vehicle, device)
    trips = get_report(client, admin_headers, "trips", vehicle).json()
    assert len(trips) == 1
    assert trips[0]["distance_km"] > 5.9 and trips[0]["max_speed_kmh"] == 36.0
    assert trips[0]["start_time"].endswith("+08:00")  # WITA for display
    stops = get_report(client, admin_headers, "stops", vehicle).json()
    assert [round(s["duration_s"] / 10) * 10 for s in stops] == [290, 290]
    summary = get_report(client, admin_headers, "summary", vehicle).json()[0]
    assert summary["positions"] == count and summary["trips"] == 1
    visits = get_report(client, admin_headers, "geofences", vehicle).json()
    assert [v["geofence"] for v in visits] == ["TPA Antang"]
    assert 0 < visits[0]["duration_s"] < 120
    route = get_report(client, admin_headers, "route", vehicle).json()
    assert len(route) == count


def test_csv_and_xlsx_exports(
    client: TestClient, app_db: Database, admin_headers: dict[str, str]
) -> None:
    vehicle, device = setup_vehicle(app_db)
    store_drive(app_db, vehicle, device)
    response = get_report(client, admin_headers, "trips", vehicle, "csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows[0]["plate"] == "DD 7 GB"
    xlsx = get_report(client, admin_headers, "summary", vehicle, "xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    assert "distance_km" in header


def purge_entries(db: Database) -> list[dict[str, Any]]:
    with db.read() as session:
        query = select(AuditEntry).where(AuditEntry.action == "fleet.positions_purged")
        return [
            {**e.detail, "actor": e.actor} for e in session.scalars(query.order_by(AuditEntry.id))
        ]


def test_retention_purges_only_old_positions_and_audits_each_run(db: Database) -> None:
    vehicle, device = setup_vehicle(db)
    old = store_drive(db, vehicle, device, start=utcnow() - timedelta(days=40))
    store_drive(db, vehicle, device, start=utcnow() - timedelta(days=1))
    before = utcnow()
    assert purge_positions(db, older_than_days=30) == old
    assert purge_positions(db, older_than_days=30) == 0
    first, second = purge_entries(db)
    assert (first["deleted"], second["deleted"]) == (old, 0)
    assert first["finished"] and first["actor"] == "system"
    cutoff = datetime.fromisoformat(first["cutoff"])
    assert abs(cutoff - (before - timedelta(days=30))) < timedelta(minutes=1)


def test_an_interrupted_purge_audits_what_it_deleted(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks commit one by one: those deleted before a failure still get their entry."""
    vehicle, device = setup_vehicle(db)
    store_drive(db, vehicle, device, start=utcnow() - timedelta(days=40))
    real_chunk = retention._delete_chunk
    calls: list[int] = []

    def fail_second(*args: Any) -> int:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real_chunk(*args)

    monkeypatch.setattr(retention, "CHUNK", 50)
    monkeypatch.setattr(retention, "_delete_chunk", fail_second)
    with pytest.raises(RuntimeError, match="disk full"):
        purge_positions(db, older_than_days=30)
    [entry] = purge_entries(db)
    assert (entry["deleted"], entry["finished"]) == (50, False)


def test_summary_for_a_whole_agency(
    client: TestClient, app_db: Database, admin_headers: dict[str, str]
) -> None:
    with app_db.write() as session:
        accounts.create_agency(
            session, data=AgencyCreate(code="dlh", name="DLH", kind="sanitation"), actor=TEST_ACTOR
        )
    vehicle, device = setup_vehicle(app_db)
    store_drive(app_db, vehicle, device)
    patched = client.patch(
        f"/api/fleet/vehicles/{vehicle}", json={"agency_code": "dlh"}, headers=admin_headers
    )
    assert patched.status_code == 200, patched.text
    params = {"start": START.isoformat(), "end": (START + timedelta(days=1)).isoformat()}
    response = client.get(
        "/api/fleet/reports/summary", params={**params, "group": "dlh"}, headers=admin_headers
    )
    assert response.status_code == 200 and [r["plate"] for r in response.json()] == ["DD 7 GB"]
    nobody = client.get("/api/fleet/reports/summary", params=params, headers=admin_headers)
    assert nobody.status_code == 422


def store_fixes(db: Database, vehicle_id: int, device_id: int, plan: list[Any]) -> None:
    """`plan`: (seconds after START, metres north, metres east, reported speed or None)."""
    rows = [
        (device_id, vehicle_id, START + timedelta(seconds=s), utcnow(), True,
         -5.15 + north / METERS_PER_DEG_LAT, 119.43 + east / METERS_PER_DEG_LAT, speed, 0.0,
         None, 9, {})
        for s, north, east, speed in plan
    ]  # fmt: skip
    with db.write() as session:
        store.insert_positions(session, rows)


def parked_with_drift(start_s: int, hours: float, north: float = 0.0) -> list[Any]:
    """A fix every 10 s within ~3 m of where the vehicle stands, as a parked GPS wanders."""
    drift = random.Random(7)
    return [
        (start_s + s, north + drift.uniform(-3, 3), drift.uniform(-3, 3), None)
        for s in range(0, int(hours * 3600), 10)
    ]


def summary_of(client: TestClient, headers: dict[str, str], vehicle: int) -> dict[str, Any]:
    rows = get_report(client, headers, "summary", vehicle).json()
    assert len(rows) == 1
    summary: dict[str, Any] = rows[0]
    return summary


def test_a_parked_day_of_gps_drift_is_no_distance(
    client: TestClient, app_db: Database, admin_headers: dict[str, str]
) -> None:
    vehicle, device = setup_vehicle(app_db)
    plan = parked_with_drift(0, hours=12)
    store_fixes(app_db, vehicle, device, plan)
    summary = summary_of(client, admin_headers, vehicle)
    assert summary["positions"] == len(plan) and summary["trips"] == 0
    assert summary["distance_km"] == 0 and summary["driving_s"] == 0
    assert summary["average_speed_kmh"] is None and summary["max_speed_kmh"] is None


def test_the_summary_of_a_drive_between_parks_is_its_trip(
    client: TestClient, app_db: Database, admin_headers: dict[str, str]
) -> None:
    vehicle, device = setup_vehicle(app_db)
    drive = [(3600 + s, s * 10.0, 0.0, 36.0) for s in range(0, 610, 10)]  # 6 km in 10 min
    plan = parked_with_drift(0, hours=1) + drive + parked_with_drift(4210, 2, north=6100)
    store_fixes(app_db, vehicle, device, plan)
    [trip] = get_report(client, admin_headers, "trips", vehicle).json()
    summary = summary_of(client, admin_headers, vehicle)
    assert summary["trips"] == 1 and summary["distance_km"] == trip["distance_km"]
    assert 6.0 <= summary["distance_km"] <= 6.2
    assert 590 <= summary["driving_s"] <= 630 and summary["idle_s"] == trip["idle_s"]
    assert summary["average_speed_kmh"] == pytest.approx(36, abs=1.5)
    assert summary["max_speed_kmh"] == 36.0


DAY = {"start": START.isoformat(), "end": (START + timedelta(days=1)).isoformat()}


@pytest.fixture
def driven(app_db: Database) -> tuple[int, int]:
    """A vehicle that made `store_drive`'s drive: (its id, the positions stored)."""
    vehicle, device = setup_vehicle(app_db)
    return vehicle, store_drive(app_db, vehicle, device)


def test_a_report_over_the_position_limit_is_refused_with_a_way_out(
    client: TestClient,
    admin_headers: dict[str, str],
    driven: tuple[int, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    vehicle, count = driven
    monkeypatch.setattr(reports, "MAX_REPORT_POSITIONS", count - 1)
    for kind in reports.REPORT_KINDS:
        response = client.get(
            f"/api/fleet/reports/{kind}",
            params={"vehicle_id": vehicle, **DAY},
            headers=admin_headers,
        )
        assert response.status_code == 422, (kind, response.text)
        assert f"{count:,} positions" in response.json()["detail"]
        assert "shorter period or fewer vehicles" in response.json()["detail"]
    monkeypatch.setattr(reports, "MAX_REPORT_POSITIONS", count)
    assert len(get_report(client, admin_headers, "route", vehicle).json()) == count


def quiet_bus(db: Database, plate: str) -> int:
    """A vehicle with no positions at all."""
    with db.write() as session:
        return service.create_vehicle(
            session, data=VehicleCreate(plate=plate, kind="bus"), actor=TEST_ACTOR
        ).id


def test_replay_names_the_tracks_it_cut(
    client: TestClient,
    app_db: Database,
    admin_headers: dict[str, str],
    driven: tuple[int, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    vehicle, count = driven
    quiet = quiet_bus(app_db, "DD 8 GB")
    params = {"vehicle_id": [vehicle, quiet], **DAY}
    monkeypatch.setattr(service, "MAX_HISTORY_ROWS", count - 1)
    cut = client.get("/api/fleet/replay", params=params, headers=admin_headers)
    assert cut.status_code == 200 and cut.headers["X-Truncated-Vehicles"] == str(vehicle)
    track = cut.json()[str(vehicle)]
    assert len(track) == count - 1 and cut.json()[str(quiet)] == []
    assert track[0]["time"] < track[-1]["time"]  # the first positions, in time order
    monkeypatch.setattr(service, "MAX_HISTORY_ROWS", count)
    whole = client.get("/api/fleet/replay", params=params, headers=admin_headers)
    assert "X-Truncated-Vehicles" not in whole.headers
    assert len(whole.json()[str(vehicle)]) == count


def test_replay_of_several_vehicles_shares_one_row_limit_between_them(
    client: TestClient,
    app_db: Database,
    admin_headers: dict[str, str],
    driven: tuple[int, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One answer is bounded, not each track: two vehicles get half the rows each."""
    vehicle, count = driven
    quiet = quiet_bus(app_db, "DD 9 GB")
    monkeypatch.setattr(api, "MAX_REPLAY_ROWS", 2 * (count - 1))
    alone = client.get(
        "/api/fleet/replay", params={"vehicle_id": vehicle, **DAY}, headers=admin_headers
    )
    assert "X-Truncated-Vehicles" not in alone.headers
    assert len(alone.json()[str(vehicle)]) == count
    params = {"vehicle_id": [vehicle, quiet], **DAY}
    shared = client.get("/api/fleet/replay", params=params, headers=admin_headers)
    assert shared.headers["X-Truncated-Vehicles"] == str(vehicle)
    assert len(shared.json()[str(vehicle)]) == count - 1


def test_a_partners_geofence_report_names_only_fences_it_may_see(
    client: TestClient, app_db: Database, admin_headers: dict[str, str]
) -> None:
    vehicle, device = setup_vehicle(app_db)  # with the city-wide fence "TPA Antang"
    store_drive(app_db, vehicle, device)
    with app_db.write() as session:
        for code in ("dlh", "polda"):
            accounts.create_agency(
                session,
                data=AgencyCreate(code=code, name=code.upper(), kind="sanitation"),
                actor=TEST_ACTOR,
            )
            service.create_geofence(
                session,
                data=GeofenceCreate(
                    name=f"depot {code}",
                    geometry={"type": "Point", "coordinates": [119.43, -5.15]},
                    radius_m=50,
                    agency_code=code,
                ),
                actor=TEST_ACTOR,
            )
    patched = client.patch(
        f"/api/fleet/vehicles/{vehicle}", json={"agency_code": "dlh"}, headers=admin_headers
    )
    assert patched.status_code == 200, patched.text
    partner = bearer(client, create_account(app_db, Role.PARTNER, agency="dlh"))

    def fences_named(headers: dict[str, str]) -> set[str]:
        return {
            visit["geofence"] for visit in get_report(client, headers, "geofences", vehicle).json()
        }

    assert fences_named(admin_headers) == {"TPA Antang", "depot dlh", "depot polda"}
    assert fences_named(partner) == {"TPA Antang", "depot dlh"}
