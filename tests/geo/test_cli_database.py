"""CLI commands that use the database: import-places, import-regions, geocode, reverse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.geo.conftest import DATA
from warroom.core.db import Database
from warroom.geo.reference import load_reference_regions

runner = CliRunner()


@pytest.fixture
def configured(database: Database, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.setenv("WARROOM_DATABASE_URL", database.url)
    monkeypatch.setenv("WARROOM_SECRET_KEY", "test-secret-0123456789abcdef")
    monkeypatch.delenv("WARROOM_OSM_FILE", raising=False)
    with database.engine.begin() as conn:
        load_reference_regions(conn)
    return database


def test_import_places_then_geocode_and_reverse(configured: Database, tmp_path: Path) -> None:
    from warroom.geo.cli import geo_app

    csv_file = tmp_path / "places.csv"
    csv_file.write_text(
        "name,kind,lat,lon,aliases\n"
        "Rumah Sakit Umum Daerah Daya,hospital,-5.1066,119.5137,RSUD Daya\n"
    )
    result = runner.invoke(geo_app, ["import-places", str(csv_file)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["created"] == 1
    result = runner.invoke(geo_app, ["import-places", str(DATA / "small_city.osm")])
    assert json.loads(result.stdout)["created"] == 6

    result = runner.invoke(geo_app, ["geocode", "rs daya"])
    assert result.exit_code == 0, result.output
    best = json.loads(result.stdout)[0]
    assert best["name"] == "Rumah Sakit Umum Daerah Daya"
    assert best["regions"]["kecamatan"]["name"] == "Biringkanaya"

    result = runner.invoke(geo_app, ["geocode", "Kecamatan Tallo"])
    assert json.loads(result.stdout)[0]["precision"] == "kecamatan"

    result = runner.invoke(geo_app, ["reverse", "-5.1066,119.5137"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["place"]["name"] == "Rumah Sakit Umum Daerah Daya"
    assert data["street_source_synthetic"] is True
    assert "SYNTHETIC" in result.stderr


def test_import_regions(configured: Database, tmp_path: Path) -> None:
    from warroom.geo.cli import geo_app

    path = tmp_path / "kec.geojson"
    ring = [[119.40, -5.17], [119.42, -5.17], [119.42, -5.15], [119.40, -5.15], [119.40, -5.17]]
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"kode": "73.71.01", "nama": "Mariso"},
                        "geometry": {"type": "Polygon", "coordinates": [ring]},
                    }
                ],
            }
        )
    )
    result = runner.invoke(geo_app, ["import-regions", str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"created": [], "updated": ["73.71.01"]}
    bad = runner.invoke(geo_app, ["import-regions", str(tmp_path / "kec.kml")])
    assert bad.exit_code == 2
    assert "no such file" in bad.stderr


def test_missing_settings_are_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from warroom.geo.cli import geo_app

    monkeypatch.delenv("WARROOM_SECRET_KEY", raising=False)
    monkeypatch.delenv("WARROOM_DEMO", raising=False)
    result = runner.invoke(geo_app, ["geocode", "pasar"])
    assert result.exit_code == 2
    assert "WARROOM_SECRET_KEY" in result.stderr
