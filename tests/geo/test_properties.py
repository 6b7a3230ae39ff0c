"""Property tests: parsers never crash on odd input and reject out-of-range values."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warroom.geo.address import normalise_address
from warroom.geo.coords import parse_lat_lon
from warroom.geo.errors import GeoInputError

ADDRESS_WORDS = st.sampled_from(
    [
        "Jl.",
        "Jln",
        "No.",
        "12",
        "RT",
        "003/005",
        "RW.",
        "Kel.",
        "Kec.",
        "Mamajang",
        ",",
        "Makassar",
        "Gg.",
        "90111",
        "rs",
        "Kota",
        "/",
        "Sulawesi Selatan",
        "ÄÖ",
        "-",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=80), st.lists(ADDRESS_WORDS, max_size=15).map(" ".join)))
def test_normalise_address_never_raises(text: str) -> None:
    address = normalise_address(text)
    assert isinstance(address.text, str)
    assert normalise_address(address.text).text == normalise_address(address.text).text


@given(st.floats(-90, 90), st.floats(-180, 180))
def test_parse_lat_lon_round_trip(lat: float, lon: float) -> None:
    assert parse_lat_lon(f"{lat!r},{lon!r}") == (lat, lon)


@given(st.floats(allow_nan=True, allow_infinity=True), st.floats(-180, 180))
def test_out_of_range_latitude_is_refused(lat: float, lon: float) -> None:
    if math.isfinite(lat) and -90 <= lat <= 90:
        return
    with pytest.raises(GeoInputError, match="latitude"):
        parse_lat_lon(f"{lat!r},{lon!r}")
