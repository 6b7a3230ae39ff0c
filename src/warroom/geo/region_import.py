"""Import administrative boundaries (GeoJSON, or Shapefile with pyshp) into ``regions``.

Each feature needs a Kemendagri code and a name. Common property names are recognised
(``kode_wilayah``, ``kode``, ``KDEPUM``... and ``name``, ``nama``, ``WADMKC``...); the level
follows from the code's shape (73 province, 73.71 city, 73.71.01 kecamatan, 73.71.01.1001
kelurahan) unless a ``level`` property says otherwise. Undotted codes (7371011001) are dotted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely  # type: ignore[import-untyped, unused-ignore]
from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.core.clock import utcnow
from warroom.geo.errors import GeoInputError
from warroom.geo.models import REGION_LEVELS, Region
from warroom.geo.region_index import geometry_json

CODE_KEYS = (
    "kode_wilayah",
    "kode",
    "code",
    "kd_wilayah",
    "kdepum",
    "kdcpum",
    "kdppum",
    "kode_desa",
    "kode_kec",
    "adm4_pcode",
    "adm3_pcode",
)
NAME_KEYS = (
    "name",
    "nama",
    "namobj",
    "wadmkd",
    "wadmkc",
    "wadmkk",
    "wadmpr",
    "nama_desa",
    "nama_kec",
    "adm4_en",
    "adm3_en",
)
LEVEL_BY_SEGMENTS = dict(enumerate(REGION_LEVELS, start=1))
_DIGITS_ONLY = re.compile(r"^\d{2}(\d{2}(\d{2}(\d{4})?)?)?$")


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Feature:
    code: str
    name: str
    level: str
    geometry: Any  # shapely, lon/lat


def normalise_code(raw: object) -> str:
    """ "7371011001" -> "73.71.01.1001", "7371020000" -> "73.71.02"; dotted codes are kept;
    anything else is refused."""
    text = str(raw).strip()
    if _DIGITS_ONLY.match(text):
        parts = [p for p in (text[:2], text[2:4], text[4:6], text[6:]) if p]
        while len(parts) > 1 and not parts[-1].strip("0"):
            parts.pop()  # "7371020000": padded kecamatan code, not a kelurahan
        return ".".join(parts)
    if re.match(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$", text):
        return text
    raise GeoInputError(f"{text!r} is not a Kemendagri region code (like 73.71.01)")


def read_features(path: Path) -> list[Feature]:
    """Boundaries from a .geojson/.json or .shp file, validated."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise GeoInputError(f"{path}: no such file")
    if suffix in {".geojson", ".json"}:
        raw = list(_geojson_features(path))
    elif suffix == ".shp":
        raw = list(_shapefile_features(path))
    else:
        raise GeoInputError(
            f"{path}: unknown boundary file type (expected .geojson, .json or .shp)"
        )
    return [_feature(path, i, props, geometry) for i, (props, geometry) in enumerate(raw)]


def _geojson_features(path: Path) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise GeoInputError(f"{path}: not valid GeoJSON ({exc})") from None
    features = data.get("features") if isinstance(data, dict) else None
    if data.get("type") == "Feature" if isinstance(data, dict) else False:
        features = [data]
    if not isinstance(features, list):
        raise GeoInputError(f"{path}: expected a GeoJSON FeatureCollection")
    for feature in features:
        if not isinstance(feature, dict):
            raise GeoInputError(f"{path}: a feature is not an object")
        yield feature.get("properties") or {}, feature.get("geometry") or {}


def _shapefile_features(path: Path) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    try:
        import shapefile  # type: ignore[import-untyped, unused-ignore]  # the pyshp package
    except ImportError:
        raise GeoInputError(
            "reading Shapefiles needs the pyshp package (pip install pyshp); "
            "or convert the file to GeoJSON"
        ) from None
    prj = path.with_suffix(".prj")
    if prj.is_file() and "PROJCS" in prj.read_text(errors="replace").upper():
        raise GeoInputError(f"{path}: projected coordinates; reproject to WGS84 (EPSG:4326) first")
    try:
        with shapefile.Reader(str(path)) as reader:
            for record in reader.iterShapeRecords():
                yield record.record.as_dict(), record.shape.__geo_interface__
    except shapefile.ShapefileException as exc:
        raise GeoInputError(f"{path}: unreadable Shapefile ({exc})") from None


def _pick(props: dict[str, Any], keys: tuple[str, ...]) -> Any:
    lowered = {str(k).lower(): v for k, v in props.items()}
    return next((lowered[k] for k in keys if lowered.get(k) not in (None, "")), None)


def _feature(path: Path, index: int, props: dict[str, Any], geometry: dict[str, Any]) -> Feature:
    where = f"{path}: feature {index + 1}"
    code, name = _pick(props, CODE_KEYS), _pick(props, NAME_KEYS)
    if code is None or name is None:
        raise GeoInputError(
            f"{where}: needs a region code and a name property "
            f"(have {', '.join(sorted(props)) or 'none'})"
        )
    code = normalise_code(code)
    level = str(props.get("level") or LEVEL_BY_SEGMENTS[code.count(".") + 1])
    if level not in REGION_LEVELS:
        raise GeoInputError(f"{where}: unknown level {level!r}")
    if geometry.get("type") not in {"Polygon", "MultiPolygon"}:
        raise GeoInputError(f"{where}: geometry must be a Polygon or MultiPolygon")
    try:
        shape = shapely.from_geojson(json.dumps(geometry))
    except (shapely.errors.GEOSException, ValueError) as exc:
        raise GeoInputError(f"{where}: bad geometry ({exc})") from None
    minx, miny, maxx, maxy = shapely.bounds(shape)
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise GeoInputError(f"{where}: coordinates out of range (expected lon/lat WGS84)")
    if not shapely.is_valid(shape):
        shape = shapely.make_valid(shape)  # self-touching rings are common in official data
    return Feature(code=code, name=str(name).strip(), level=level, geometry=shape)


def import_regions(*, session: Session, path: Path, source: str | None = None) -> ImportReport:
    """Create or update ``regions`` rows (boundary, bbox, centroid) from a boundary file.
    Runs in the caller's transaction; parents must exist already or come in the same file."""
    features = read_features(path)
    known = set(session.scalars(select(Region.code))) | {f.code for f in features}
    report = ImportReport()
    # parents first, so foreign keys hold at every flush
    for feature in sorted(features, key=lambda f: f.code.count(".")):
        row = session.get(Region, feature.code)
        parent = feature.code.rsplit(".", 1)[0] if "." in feature.code else None
        if row is None:
            row = Region(code=feature.code)
            session.add(row)
            report.created.append(feature.code)
        else:
            report.updated.append(feature.code)
        _fill(row, feature, parent if parent in known else None, source or f"import:{path.name}")
        session.flush()
    return report


def _fill(row: Region, feature: Feature, parent: str | None, source: str) -> None:
    minx, miny, maxx, maxy = (float(v) for v in shapely.bounds(feature.geometry))
    inside = shapely.point_on_surface(feature.geometry)  # a centroid can fall outside
    row.name, row.level, row.parent_code = feature.name, feature.level, parent
    row.boundary_geojson = geometry_json(feature.geometry)
    row.min_lon, row.min_lat, row.max_lon, row.max_lat = minx, miny, maxx, maxy
    row.centroid_lat, row.centroid_lon = float(inside.y), float(inside.x)
    row.source = source
    row.updated_at = utcnow()
