"""Indonesian address normalisation: one pure function from free text to a structured address
and a canonical string, so that "Jln. Sam Ratulangi No.12 RT.003/RW.005 Kel. Maricaya,
Kec. Mamajang, Mks" and "jalan sam ratulangi nomor 12 rt 3 rw 5 kelurahan maricaya" compare
equal.

Steps: lower-case and split punctuation; expand abbreviations (Jl./Jln. -> jalan, Kel. ->
kelurahan, RS -> rumah sakit, Jend. -> jenderal ...); fix misspelt keywords (kelurahn,
kecamtan) with rapidfuzz; then read the fields that follow each keyword. Kecamatan names are
corrected against the known list (Makassar's 15 by default) when the match is close.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

# Abbreviation -> full word(s). Applied to whole tokens after punctuation is split off.
ABBREVIATIONS: dict[str, str] = {
    "jl": "jalan",
    "jln": "jalan",
    "jal": "jalan",
    "jalan": "jalan",
    "gg": "gang",
    "lr": "lorong",
    "lrg": "lorong",
    "komp": "kompleks",
    "komplek": "kompleks",
    "perum": "perumahan",
    "blk": "blok",
    "no": "nomor",
    "nmr": "nomor",
    "nomer": "nomor",
    "nomor": "nomor",
    "kel": "kelurahan",
    "kelurahan": "kelurahan",
    "ds": "desa",
    "kec": "kecamatan",
    "kecamatan": "kecamatan",
    "kab": "kabupaten",
    "kota": "kota",
    "prov": "provinsi",
    "propinsi": "provinsi",
    "mks": "makassar",
    "sulsel": "sulawesi selatan",
    "jend": "jenderal",
    "jen": "jenderal",
    "letjen": "letnan jenderal",
    "mayjen": "mayor jenderal",
    "brigjen": "brigadir jenderal",
    "kol": "kolonel",
    "prof": "profesor",
    "dr": "dokter",
    "ir": "insinyur",
    "kh": "kyai haji",
    "rs": "rumah sakit",
    "rsu": "rumah sakit umum",
    "rsud": "rumah sakit umum daerah",
    "pkm": "puskesmas",
    "ps": "pasar",
    "psr": "pasar",
    "msj": "masjid",
    "mesjid": "masjid",
    "univ": "universitas",
    "sek": "sekolah",
}
# Keywords that start a field, and the field they start.
FIELD_KEYWORDS: dict[str, str] = {
    "jalan": "street",
    "gang": "street",
    "lorong": "street",
    "kompleks": "street",
    "perumahan": "street",
    "nomor": "number",
    "rt": "rt",
    "rw": "rw",
    "kelurahan": "kelurahan",
    "desa": "kelurahan",
    "kecamatan": "kecamatan",
    "kota": "city",
    "kabupaten": "city",
    "provinsi": "province",
}
# Street-type words stay part of the street ("gang 3" is not "jalan 3").
STREET_TYPES = frozenset({"jalan", "gang", "lorong", "kompleks", "perumahan"})
FUZZY_KEYWORDS = (
    "jalan",
    "kelurahan",
    "kecamatan",
    "kabupaten",
    "provinsi",
    "perumahan",
    "kompleks",
    "nomor",
)
CITY_WORDS = {"makassar": "makassar"}
PROVINCE_WORDS = ("sulawesi selatan",)
_POSTCODE = re.compile(r"^9\d{4}$")  # Sulawesi postcodes start with 9
_TOKEN = re.compile(r"[a-z0-9]+|,|/")


@dataclass(frozen=True)
class NormalisedAddress:
    street: str | None = None
    number: str | None = None
    rt: str | None = None
    rw: str | None = None
    kelurahan: str | None = None
    kecamatan: str | None = None
    city: str | None = None
    province: str | None = None
    postcode: str | None = None
    name: str | None = None  # leading free text: a building or place name
    text: str = ""  # canonical string
    tokens: tuple[str, ...] = field(default=(), repr=False)

    def title(self) -> str:
        """The canonical string for display: "Jalan Sam Ratulangi Nomor 12, Rt 3 ..."."""
        return " ".join(w.capitalize() if w.isalpha() else w for w in self.text.split(" "))


def tokenize(text: str) -> list[str]:
    """Lower-case tokens with abbreviations expanded and misspelt keywords fixed."""
    lowered = text.lower().replace("\u00a0", " ")
    # "RT03" / "No12" / "Rw.5": split letters from digits for the keywords that take numbers.
    lowered = re.sub(r"\b(rt|rw|no|nomor)\.?(?=\d)", r"\1 ", lowered)
    tokens: list[str] = []
    for raw in _TOKEN.findall(lowered):
        word = ABBREVIATIONS.get(raw) or _fix_keyword(raw)
        tokens.extend(word.split(" "))
    return tokens


def _fix_keyword(token: str) -> str:
    if len(token) < 4 or token.isdigit():
        return token
    match = process.extractOne(token, FUZZY_KEYWORDS, scorer=fuzz.ratio, score_cutoff=85)
    return match[0] if match else token


def normalise_address(
    text: str, *, kecamatan_names: Sequence[str] | None = None
) -> NormalisedAddress:
    """Structured, canonical form of an Indonesian address (pure; never raises on odd text)."""
    tokens = tokenize(text)
    fields = _read_fields(tokens)
    _split_rt_rw(fields)
    known = kecamatan_names if kecamatan_names is not None else MAKASSAR_KECAMATAN
    kecamatan = fields.get("kecamatan")
    if kecamatan:
        fields["kecamatan"] = correct_name(kecamatan, known)
    _find_city_and_postcode(fields, tokens)
    return NormalisedAddress(**fields, text=canonical_text(fields), tokens=tuple(tokens))


def _read_fields(tokens: list[str]) -> dict[str, str | None]:
    """Assign tokens to the field opened by the last keyword; commas close a field."""
    parts: dict[str, list[str]] = {}
    current = "name"
    for word in tokens:
        if word == ",":
            current = "rest"
            continue
        opened = FIELD_KEYWORDS.get(word)
        if opened and not (opened == current == "street"):
            current = opened
            if word in STREET_TYPES:
                parts.setdefault("street", []).append(word)
            continue
        if current == "number" and parts.get("number") and not word[0].isdigit():
            current = "rest"  # "no 12 maricaya": the number is one word
        parts.setdefault(current, []).append(word)
    out: dict[str, str | None] = {k: " ".join(v) for k, v in parts.items() if v}
    rest = out.pop("rest", None)
    if rest:
        out["rest"] = rest
    return out


def _split_rt_rw(fields: dict[str, str | None]) -> None:
    """ "rt 003 rw 005", "rt/rw 03/05" and "rt 03/05" all become rt "3", rw "5"."""
    had_rt, had_rw = "rt" in fields, "rw" in fields
    numbers = re.findall(r"\d+", fields.pop("rt", None) or "")
    numbers += re.findall(r"\d+", fields.pop("rw", None) or "")
    if had_rt and numbers:
        fields["rt"] = numbers.pop(0).lstrip("0") or "0"
    if (had_rt or had_rw) and numbers:
        fields["rw"] = numbers.pop(0).lstrip("0") or "0"


def _find_city_and_postcode(fields: dict[str, str | None], tokens: list[str]) -> None:
    rest = fields.pop("rest", None) or ""
    words = rest.split()
    postcode = next((t for t in tokens if _POSTCODE.match(t)), None)
    if postcode:
        fields["postcode"] = postcode
        words = [w for w in words if w != postcode]
        for key in ("kecamatan", "kelurahan", "city", "province"):
            value = fields.get(key)
            if value and postcode in value.split():
                fields[key] = " ".join(w for w in value.split() if w != postcode) or None
    joined = " ".join(words)
    for province in PROVINCE_WORDS:
        if province in joined:
            fields.setdefault("province", province)
            joined = joined.replace(province, " ")
    for word, city in CITY_WORDS.items():
        if word in joined.split():
            fields.setdefault("city", city)
            joined = " ".join(w for w in joined.split() if w != word)
    if fields.get("city") and fields.get("province") is None:
        for province in PROVINCE_WORDS:
            value = fields["city"] or ""
            if value.endswith(province):
                fields["city"], fields["province"] = value[: -len(province)].strip(), province
    if joined.strip() and not fields.get("kelurahan"):
        fields["kelurahan"] = joined.strip()  # "..., Maricaya, ..." without the keyword


def correct_name(value: str, known: Iterable[str], cutoff: float = 80.0) -> str:
    """The known name closest to ``value`` (typos, case), or ``value`` when none is close."""
    choices = {name.lower(): name.lower() for name in known}
    if not choices:
        return value
    match = process.extractOne(value, list(choices), scorer=fuzz.ratio, score_cutoff=cutoff)
    return match[0] if match else value


def canonical_text(fields: dict[str, str | None]) -> str:
    parts = []
    if fields.get("name"):
        parts.append(fields["name"] or "")
    street = " ".join(
        p
        for p in (
            fields.get("street"),
            f"nomor {fields['number']}" if fields.get("number") else None,
        )
        if p
    )
    if street:
        parts.append(street)
    rt_rw = " ".join(f"{k} {fields[k]}" for k in ("rt", "rw") if fields.get(k))
    if rt_rw:
        parts.append(rt_rw)
    for key, label in (
        ("kelurahan", "kelurahan"),
        ("kecamatan", "kecamatan"),
        ("city", "kota"),
        ("province", "provinsi"),
    ):
        if fields.get(key):
            parts.append(f"{label} {fields[key]}")
    if fields.get("postcode"):
        parts.append(fields["postcode"] or "")
    return ", ".join(parts)


MAKASSAR_KECAMATAN = (
    "Mariso",
    "Mamajang",
    "Makassar",
    "Ujung Pandang",
    "Wajo",
    "Bontoala",
    "Tallo",
    "Ujung Tanah",
    "Panakkukang",
    "Tamalate",
    "Biringkanaya",
    "Manggala",
    "Rappocini",
    "Tamalanrea",
    "Kepulauan Sangkarrang",
)
