"""Geo over HTTP: network label, routes, travel times, geocoding and reverse geocoding."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from warroom.core.db import Database
from warroom.geo import lookup_cache
from warroom.geo.place_import import read_places
from warroom.geo.places_service import save_places

CITY_HALL = [-5.1344, 119.4137]  # Balai Kota Makassar, Jl. Ahmad Yani
TAMALATE = [-5.1856, 119.4049]


def test_network_is_labelled_synthetic(client: TestClient, admin_headers: dict[str, str]) -> None:
    network = client.get("/api/geo/network", headers=admin_headers).json()
    assert network["synthetic"] is True and "not real" in network["note"]


def test_route_by_road(client: TestClient, admin_headers: dict[str, str]) -> None:
    body = {"origin": CITY_HALL, "destination": TAMALATE}
    found = client.post("/api/geo/route", json=body, headers=admin_headers).json()
    assert 60 < found["seconds"] < 3600 and found["meters"] > 5000  # longer than the crow flies
    assert found["geometry"]["type"] == "LineString" and found["synthetic"] is True


def test_travel_times_many_to_one_match_single_routes(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    units = [[-5.15, 119.43], [-5.12, 119.44], TAMALATE]
    body = {"center": CITY_HALL, "points": units, "direction": "to_center"}
    many = client.post("/api/geo/travel-times", json=body, headers=admin_headers).json()
    singles = [
        client.post(
            "/api/geo/route", json={"origin": u, "destination": CITY_HALL}, headers=admin_headers
        ).json()["seconds"]
        for u in units
    ]
    assert [r["seconds"] for r in many["results"]] == singles


def test_out_of_range_coordinates_are_422(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    body = {"origin": [95.0, 119.4], "destination": TAMALATE}
    response = client.post("/api/geo/route", json=body, headers=admin_headers)
    assert response.status_code == 422 and "origin" in response.json()["detail"]
    too_many = {"center": CITY_HALL, "points": [CITY_HALL] * 5001}
    response = client.post("/api/geo/travel-times", json=too_many, headers=admin_headers)
    assert response.status_code == 422


def test_point_far_from_roads_has_no_route(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    body = {"origin": CITY_HALL, "destination": [-4.0, 118.0]}  # the Makassar Strait
    response = client.post("/api/geo/route", json=body, headers=admin_headers)
    assert response.status_code == 404


def test_geocode_finds_an_imported_place_despite_typos(
    client: TestClient, admin_headers: dict[str, str], app_db: Database, tmp_path: Path
) -> None:
    csv = tmp_path / "places.csv"
    csv.write_text(
        "name,lat,lon,kind,aliases\n"
        "RSUP Dr. Wahidin Sudirohusodo,-5.1339,119.4902,hospital,RS Wahidin\n"
        "Pasar Sentral Makassar,-5.1325,119.4139,market,Makassar Mall\n"
    )
    with app_db.write() as session:
        save_places(session=session, places=read_places(csv))
    lookup_cache.clear()
    hits = client.get("/api/geo/geocode?q=rs wahidn", headers=admin_headers).json()
    assert hits[0]["name"] == "RSUP Dr. Wahidin Sudirohusodo"
    assert hits[0]["regions"]["kecamatan"]["approximate"] is True


def test_reverse_geocode_names_the_kecamatan(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    lookup_cache.clear()
    found = client.get("/api/geo/reverse?lat=-5.1856&lon=119.4049", headers=admin_headers)
    body = found.json()
    assert body["regions"]["kecamatan"]["name"] == "Tamalate"
    assert body["street_source_synthetic"] is True


def test_road_class_speeds_are_configurable(small_osm: Path) -> None:
    from warroom.geo.network import get_router

    origin, destination = (-5.14, 119.41), (-5.142, 119.412)
    default = get_router(osm_file=small_osm).route(origin, destination).seconds
    slow = get_router(
        osm_file=small_osm,
        speeds_kmh={"residential": 5, "tertiary": 5, "secondary": 5, "primary": 5},
    )
    assert slow.route(origin, destination).seconds > default
