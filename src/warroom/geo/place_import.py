"""Read gazetteer places from CSV and from OSM extracts (XML or PBF). Pure readers: they return
``PlaceRecord`` values; ``places_service.save_places`` stores them."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path

import osmium

from warroom.geo.coords import check_lat_lon
from warroom.geo.errors import GeoInputError
from warroom.geo.gazetteer import PlaceRecord, normalise_name
from warroom.geo.osm import check_osm_path
from warroom.geo.profile import RoadProfile

CSV_REQUIRED = ("name", "lat", "lon")
ALIAS_TAGS = ("alt_name", "old_name", "short_name", "official_name", "loc_name", "name:id")
_AMENITY_KINDS = {
    "hospital": "hospital",
    "clinic": "clinic",
    "doctors": "clinic",
    "school": "school",
    "kindergarten": "school",
    "university": "university",
    "college": "university",
    "marketplace": "market",
    "police": "police",
    "fire_station": "fire_station",
    "townhall": "government",
}
_PLACE_KINDS = {
    "village": "kelurahan",
    "suburb": "kelurahan",
    "neighbourhood": "kelurahan",
    "quarter": "kelurahan",
}


def read_places(path: Path) -> list[PlaceRecord]:
    """Places from a ``.csv`` or an OSM file, chosen by the file name."""
    if path.name.lower().endswith(".csv"):
        return read_places_csv(path)
    return read_places_osm(path)


def read_places_csv(path: Path) -> list[PlaceRecord]:
    """Columns: name, lat, lon (required); kind, aliases ("|"-separated), address, id."""
    if not path.is_file():
        raise GeoInputError(f"{path}: no such file")
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in CSV_REQUIRED if c not in (reader.fieldnames or [])]
            if missing:
                raise GeoInputError(f"{path}: missing column(s) {', '.join(missing)}")
            return [_csv_record(path, line, row) for line, row in enumerate(reader, start=2)]
    except UnicodeDecodeError:
        raise GeoInputError(f"{path}: not UTF-8 text") from None


def _csv_record(path: Path, line: int, row: Mapping[str, str | None]) -> PlaceRecord:
    name = (row.get("name") or "").strip()
    if not name:
        raise GeoInputError(f"{path} line {line}: empty name")
    try:
        lat, lon = check_lat_lon(float(row.get("lat") or "nan"), float(row.get("lon") or "nan"))
    except (ValueError, GeoInputError) as exc:
        raise GeoInputError(f"{path} line {line}: bad coordinates ({exc})") from None
    aliases = tuple(a.strip() for a in (row.get("aliases") or "").split("|") if a.strip())
    return PlaceRecord(
        name=name,
        kind=(row.get("kind") or "other").strip() or "other",
        lat=lat,
        lon=lon,
        aliases=aliases,
        address=row.get("address") or None,
        source=f"csv:{path.name}",
        source_id=row.get("id") or f"line/{line}",
    )


def place_kind(tags: Mapping[str, str]) -> str | None:
    """The gazetteer kind of a named OSM object, or None when it is not a place we keep."""
    amenity = tags.get("amenity", "")
    if amenity in _AMENITY_KINDS:
        return _AMENITY_KINDS[amenity]
    if amenity == "place_of_worship":
        return {"muslim": "mosque", "christian": "church"}.get(tags.get("religion", ""), "landmark")
    if tags.get("place") in _PLACE_KINDS:
        return _PLACE_KINDS[tags["place"]]
    if tags.get("shop") in {"mall", "supermarket"}:
        return "market"
    if tags.get("office") == "government":
        return "government"
    if any(k in tags for k in ("tourism", "historic", "leisure", "amenity", "shop")):
        return "landmark"
    return None


def _aliases(tags: Mapping[str, str]) -> tuple[str, ...]:
    found = [a.strip() for key in ALIAS_TAGS for a in tags.get(key, "").split(";")]
    name = tags.get("name", "")
    return tuple(dict.fromkeys(a for a in found if a and a != name))


def read_places_osm(path: Path) -> list[PlaceRecord]:
    """Named amenities, shops, landmarks and settlements (nodes, and ways at the mean of their
    nodes), plus one ``street`` place per street name at the street's middle point."""
    check_osm_path(path)
    try:
        return list(_osm_places(path))
    except RuntimeError as exc:
        raise GeoInputError(f"{path}: malformed OSM data ({exc})") from None


def _osm_places(path: Path) -> Iterator[PlaceRecord]:
    roads = RoadProfile()
    streets: dict[str, list[tuple[float, float]]] = defaultdict(list)
    street_names: dict[str, tuple[str, int]] = {}
    processor = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("name"))
    )
    source = f"osm:{path.name}"
    for obj in processor:
        tags = dict(obj.tags)
        if isinstance(obj, osmium.osm.Way):
            points = [(n.location.lat, n.location.lon) for n in obj.nodes if n.location.valid()]
            if not points:
                continue
            if "highway" in tags and roads.is_routable(tags):
                key = normalise_name(tags["name"])
                streets[key].extend(points)
                street_names.setdefault(key, (tags["name"], obj.id))
                continue
            lat = sum(p[0] for p in points) / len(points)
            lon = sum(p[1] for p in points) / len(points)
            ref = f"way/{obj.id}"
        elif isinstance(obj, osmium.osm.Node):
            lat, lon, ref = obj.location.lat, obj.location.lon, f"node/{obj.id}"
        else:
            continue
        kind = place_kind(tags)
        if kind:
            yield PlaceRecord(
                name=tags["name"],
                kind=kind,
                lat=lat,
                lon=lon,
                aliases=_aliases(tags),
                source=source,
                source_id=ref,
            )
    for key, points in streets.items():
        name, way_id = street_names[key]
        lat, lon = _middle(points)
        yield PlaceRecord(
            name=name, kind="street", lat=lat, lon=lon, source=source, source_id=f"street/{way_id}"
        )


def _middle(points: list[tuple[float, float]]) -> tuple[float, float]:
    """The point of a street nearest the mean of its points (always on the street)."""
    mean_lat = sum(p[0] for p in points) / len(points)
    mean_lon = sum(p[1] for p in points) / len(points)
    return min(points, key=lambda p: (p[0] - mean_lat) ** 2 + (p[1] - mean_lon) ** 2)
