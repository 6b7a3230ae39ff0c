"""Region boundaries: import (GeoJSON, Shapefile) and point-in-region lookups."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from warroom.geo.errors import GeoInputError
from warroom.geo.models import Region
from warroom.geo.reference import load_reference_regions
from warroom.geo.region_import import import_regions, normalise_code, read_features
from warroom.geo.region_index import load_region_index, reference_region_index


def square(lon: float, lat: float, size: float) -> dict[str, Any]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(props: dict[str, Any], geometry: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geometry}


@pytest.fixture
def boundaries(tmp_path: Path) -> Path:
    path = tmp_path / "makassar.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    feature(
                        {"kode_wilayah": "73.71.01", "nama": "Mariso"}, square(119.40, -5.17, 0.02)
                    ),
                    feature(
                        {"KDEPUM": "7371020000", "WADMKC": "Mamajang"}, square(119.42, -5.17, 0.02)
                    ),
                    feature(
                        {"kode": "7371011001", "name": "Bontorannu"}, square(119.40, -5.17, 0.01)
                    ),
                ],
            }
        )
    )
    return path


def test_import_creates_rows_with_bbox_centroid_and_parents(
    session: Session, boundaries: Path
) -> None:
    load_reference_regions(session.connection())
    report = import_regions(session=session, path=boundaries)
    assert sorted(report.updated) == ["73.71.01", "73.71.02"]
    assert report.created == ["73.71.01.1001"]
    kelurahan = session.get(Region, "73.71.01.1001")
    assert kelurahan is not None
    assert (kelurahan.level, kelurahan.parent_code) == ("kelurahan", "73.71.01")
    assert (kelurahan.min_lon, kelurahan.max_lat) == pytest.approx((119.40, -5.16))
    assert kelurahan.boundary_geojson is not None
    assert json.loads(kelurahan.boundary_geojson)["type"] == "Polygon"
    again = import_regions(session=session, path=boundaries)
    assert again.created == [] and len(again.updated) == 3


def test_point_in_region_with_boundaries_and_centroid_fallback(
    session: Session, boundaries: Path
) -> None:
    load_reference_regions(session.connection())
    import_regions(session=session, path=boundaries)
    index = load_region_index(session=session)
    hits = index.lookup(-5.165, 119.405)
    assert hits["kelurahan"].code == "73.71.01.1001"
    assert hits["kecamatan"].code == "73.71.01"
    assert not hits["kecamatan"].approximate
    # Outside the imported squares: kecamatan known only by centroid -> approximate answer
    tallo = index.lookup(-5.117, 119.444)
    assert tallo["kecamatan"].name == "Tallo" and tallo["kecamatan"].approximate
    assert "kelurahan" not in tallo


def test_reference_index_is_approximate_and_bounded() -> None:
    index = reference_region_index()
    hit = index.lookup(-5.1420, 119.4540)["kecamatan"]
    assert (hit.name, hit.approximate) == ("Panakkukang", True)
    assert index.lookup(-6.5, 119.45) == {}  # far from every centroid


def test_shapefile_import(tmp_path: Path) -> None:
    shapefile = pytest.importorskip("shapefile")
    path = tmp_path / "kec.shp"
    with shapefile.Writer(str(path), shapeType=shapefile.POLYGON) as writer:
        writer.field("KODE", "C", 20)
        writer.field("NAMA", "C", 60)
        ring = square(119.40, -5.17, 0.02)["coordinates"][0]
        writer.poly([ring[::-1]])  # Shapefile outer rings run clockwise
        writer.record("73.71.01", "Mariso")
    features = read_features(path)
    assert [(f.code, f.name, f.level) for f in features] == [("73.71.01", "Mariso", "kecamatan")]
    assert features[0].geometry.area == pytest.approx(0.0004)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("regions.kml", "<kml/>", "unknown boundary file type"),
        ("bad.geojson", "{not json", "not valid GeoJSON"),
        ("list.geojson", "[1, 2]", "FeatureCollection"),
        (
            "nocode.geojson",
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [feature({"nama": "X"}, square(119.4, -5.1, 0.01))],
                }
            ),
            "needs a region code",
        ),
        (
            "badcode.geojson",
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        feature({"kode": "73-71", "nama": "X"}, square(119.4, -5.1, 0.01))
                    ],
                }
            ),
            "not a Kemendagri region code",
        ),
        (
            "point.geojson",
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        feature(
                            {"kode": "73.71.01", "nama": "X"},
                            {"type": "Point", "coordinates": [119.4, -5.1]},
                        )
                    ],
                }
            ),
            "Polygon or MultiPolygon",
        ),
        (
            "utm.geojson",
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        feature({"kode": "73.71.01", "nama": "X"}, square(770000, 9430000, 100))
                    ],
                }
            ),
            "out of range",
        ),
    ],
)
def test_bad_boundary_files(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(GeoInputError, match=message):
        read_features(path)


def test_code_normalisation() -> None:
    assert normalise_code("7371") == "73.71"
    assert normalise_code(7371011001) == "73.71.01.1001"
    assert normalise_code("73.71.01") == "73.71.01"
