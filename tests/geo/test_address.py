"""Indonesian address normalisation."""

from __future__ import annotations

import pytest

from warroom.geo.address import normalise_address, tokenize

SAME_ADDRESS = [
    "Jln. Sam Ratulangi No.12 RT.003/RW.005 Kel. Maricaya, Kec. Mamajang, Mks",
    "jalan sam ratulangi nomor 12 rt 3 rw 5 kelurahan maricaya kecamatan mamajang kota makassar",
    "JL SAM RATULANGI NO 12 RT03 RW05, KELURAHAN MARICAYA, KECAMATAN MAMAJANG, KOTA MAKASSAR",
    "Jl. Sam Ratulangi Nomer 12, RT/RW 003/005, Kel Maricaya, Kec. Mamajng, Makassar",
]


@pytest.mark.parametrize("text", SAME_ADDRESS)
def test_spellings_of_one_address_agree(text: str) -> None:
    address = normalise_address(text)
    assert address.street == "jalan sam ratulangi"
    assert (address.number, address.rt, address.rw) == ("12", "3", "5")
    assert (address.kelurahan, address.kecamatan, address.city) == (
        "maricaya",
        "mamajang",
        "makassar",
    )
    assert address.text == (
        "jalan sam ratulangi nomor 12, rt 3 rw 5, kelurahan maricaya, "
        "kecamatan mamajang, kota makassar"
    )


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        ("Jl. A.P. Pettarani No. 5A", "number", "5a"),
        ("Jl. Jend. Sudirman", "street", "jalan jenderal sudirman"),
        ("Gg. 3 Jl. Veteran Selatan", "street", "gang 3 jalan veteran selatan"),
        ("Lrg. 2 Jl. Cendrawasih", "street", "lorong 2 jalan cendrawasih"),
        ("Komp. BTN Minasa Upa Blok AB", "street", "kompleks btn minasa upa blok ab"),
        ("RSUD Daya, Jl. Perintis Kemerdekaan", "name", "rumah sakit umum daerah daya"),
        ("jaln urip sumoharjo", "street", "jalan urip sumoharjo"),  # typo in the keyword
        ("kelurahn karuwisi kecamtan panakukang", "kecamatan", "panakkukang"),  # typos
        ("Kec. Biringkanaya, Makassar 90243", "postcode", "90243"),
        ("Kec. Biringkanaya, Makassar 90243", "city", "makassar"),
        ("Jl. Urip Sumoharjo, Kota Makassar, Sulawesi Selatan", "province", "sulawesi selatan"),
        ("Desa Bontoa", "kelurahan", "bontoa"),
        ("RT 03/05", "rw", "5"),
        ("Pasar Sentral", "name", "pasar sentral"),
    ],
)
def test_fields(text: str, field: str, expected: str) -> None:
    assert getattr(normalise_address(text), field) == expected


def test_canonical_title_and_empty_text() -> None:
    address = normalise_address("jl. ratulangi no. 7")
    assert address.title() == "Jalan Ratulangi Nomor 7"
    assert normalise_address("").text == ""
    assert normalise_address("   ,,, //").street is None


def test_tokenize_expands_abbreviations() -> None:
    assert tokenize("RS. Wahidin, Jl. Perintis") == [
        "rumah",
        "sakit",
        "wahidin",
        ",",
        "jalan",
        "perintis",
    ]


def test_known_kecamatan_list_can_be_supplied() -> None:
    address = normalise_address("Kec. Somba Opu", kecamatan_names=["Somba Opu", "Pallangga"])
    assert address.kecamatan == "somba opu"
    assert normalise_address("kec. sombaopu", kecamatan_names=["Somba Opu"]).kecamatan == (
        "somba opu"
    )
