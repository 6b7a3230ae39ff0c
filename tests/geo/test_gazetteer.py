"""Gazetteer: imports, fuzzy search, geocoding, reverse geocoding, storage."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.geo.conftest import DATA
from warroom.geo.errors import GeoInputError
from warroom.geo.gazetteer import Gazetteer, PlaceRecord
from warroom.geo.geocoding import geocode, reverse_geocode
from warroom.geo.place_import import read_places, read_places_csv
from warroom.geo.places import Place
from warroom.geo.places_service import load_gazetteer, save_places
from warroom.geo.region_index import reference_region_index
from warroom.geo.routing import Router

CSV = """name,kind,lat,lon,aliases,address,id
Rumah Sakit Umum Daerah Daya,hospital,-5.1066,119.5137,RSUD Daya|RS Daya,"Jl. Perintis",h1
Pasar Sentral,market,-5.1330,119.4130,Makassar Mall,,m1
Pasar Terong,market,-5.1309,119.4250,,,m2
Universitas Hasanuddin,university,-5.1313,119.4885,Unhas,,u1
Jalan Sam Ratulangi,street,-5.1600,119.4200,,,s1
Jalan Ratulangi Baru,street,-5.1000,119.5000,,,s2
"""


@pytest.fixture
def places_csv(tmp_path: Path) -> Path:
    path = tmp_path / "places.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


@pytest.fixture
def gazetteer(places_csv: Path) -> Gazetteer:
    return Gazetteer(read_places_csv(places_csv))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("RSUD Daya", "Rumah Sakit Umum Daerah Daya"),
        ("rs daya", "Rumah Sakit Umum Daerah Daya"),
        ("rumah sakit daya", "Rumah Sakit Umum Daerah Daya"),
        ("psr sentral", "Pasar Sentral"),
        ("pasar terong", "Pasar Terong"),
        ("makassar mall", "Pasar Sentral"),
        ("unhas", "Universitas Hasanuddin"),
        ("universitas hasanudin", "Universitas Hasanuddin"),  # typo
        ("Jl. Sam Ratulangi", "Jalan Sam Ratulangi"),
    ],
)
def test_fuzzy_search(gazetteer: Gazetteer, query: str, expected: str) -> None:
    assert gazetteer.search(query)[0].place.name == expected


def test_search_by_kind_and_empty_query(gazetteer: Gazetteer) -> None:
    assert {m.place.kind for m in gazetteer.search("pasar", kinds=["market"])} == {"market"}
    with pytest.raises(GeoInputError, match="empty"):
        gazetteer.search(" ,")


def test_geocode_address_to_street_with_kecamatan(gazetteer: Gazetteer) -> None:
    results = geocode(
        "Jln. Sam Ratulangi No. 12, Kec. Mamajang",
        gazetteer=gazetteer,
        regions=reference_region_index(),
    )
    best = results[0]
    assert (best.name, best.precision) == ("Jalan Sam Ratulangi", "street")
    assert best.regions["kecamatan"].name == "Mamajang"
    assert best.regions["kecamatan"].approximate is True


def test_geocode_nothing_close(gazetteer: Gazetteer) -> None:
    assert geocode("qwxz zzyq", gazetteer=gazetteer) == []


def test_reverse_geocode_street_place_and_regions() -> None:
    from warroom.geo.osm import read_osm_graph

    places = Gazetteer(read_places(DATA / "small_city.osm"))
    router = Router(read_osm_graph(DATA / "small_city.osm"))
    result = reverse_geocode(
        -5.1401, 119.4112, gazetteer=places, router=router, regions=reference_region_index()
    )
    assert result.street == "Jalan Utara"
    assert result.street_distance_m == pytest.approx(11.1, abs=0.5)
    assert result.place is not None and result.place.place.name == "RSUD Contoh"
    assert result.regions["kecamatan"].approximate
    assert result.as_dict()["street_source_synthetic"] is False
    far = reverse_geocode(-5.2, 119.5, gazetteer=places, router=router, max_m=100)
    assert far.street is None and far.place is None


def test_osm_places_and_streets() -> None:
    records = {p.name: p for p in read_places(DATA / "small_city.osm")}
    assert records["RSUD Contoh"].kind == "hospital"
    assert records["RSUD Contoh"].source_id == "node/30"
    assert records["Jalan Utara"].kind == "street"
    assert "Jalan Tertutup" not in records  # access=no: not a street a car can be sent to


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("title,lat\nx,1\n", "missing column"),
        ("name,lat,lon\nA,-95,119\n", "line 2: bad coordinates"),
        ("name,lat,lon\n,-5,119\n", "empty name"),
    ],
)
def test_bad_csv(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(GeoInputError, match=message):
        read_places_csv(path)


def test_save_places_is_idempotent_and_loads_back(session: Session, places_csv: Path) -> None:
    records = read_places_csv(places_csv)
    first = save_places(session=session, places=records)
    assert (first.created, first.updated) == (6, 0)
    changed = [
        PlaceRecord(**{**r.__dict__, "aliases": ("RSUD Daya Makassar",)})
        if r.source_id == "h1"
        else r
        for r in records
    ]
    again = save_places(session=session, places=changed)
    assert (again.created, again.updated) == (0, 6)
    row = session.query(Place).filter_by(source_id="h1").one()
    assert [a.alias for a in row.aliases] == ["RSUD Daya Makassar"]
    assert len(row.h3_cell) == 15
    loaded = load_gazetteer(session=session)
    assert loaded.search("rsud daya makassar")[0].place.name == "Rumah Sakit Umum Daerah Daya"
