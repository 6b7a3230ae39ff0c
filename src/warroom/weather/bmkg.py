"""BMKG JSON feeds: earthquakes (autogempa, gempaterkini, gempadirasakan) and the forecast API.

Every value in the earthquake feeds is a string; ``DateTime`` is UTC with an offset and
``Coordinates`` is "lat,lon". Anything else is refused with a ``FeedError`` naming what is wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from warroom.weather.cap import FeedError

FORECAST_FIELDS = (
    "local_datetime",
    "utc_datetime",
    "t",
    "hu",
    "tp",
    "tcc",
    "ws",
    "wd",
    "weather_desc",
    "weather_desc_en",
)


@dataclass(frozen=True)
class Quake:
    key: str
    occurred_at: datetime
    lat: float
    lon: float
    magnitude: float
    depth_km: float | None
    region: str
    felt: str
    potential: str


def _json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedError(f"not JSON: {exc}") from None


def parse_quakes(data: bytes) -> list[Quake]:
    body = _json(data)
    try:
        gempa = body["Infogempa"]["gempa"]
    except (KeyError, TypeError):
        raise FeedError("no Infogempa.gempa in the earthquake feed") from None
    items = [gempa] if isinstance(gempa, dict) else gempa
    if not isinstance(items, list):
        raise FeedError("Infogempa.gempa is neither an object nor a list")
    return [_quake(item) for item in items]


def _quake(item: Any) -> Quake:
    if not isinstance(item, dict):
        raise FeedError("an earthquake entry is not an object")
    try:
        when = datetime.fromisoformat(item["DateTime"])
        lat_text, lon_text = item["Coordinates"].split(",")
        lat, lon, magnitude = float(lat_text), float(lon_text), float(item["Magnitude"])
    except (KeyError, ValueError, AttributeError, TypeError) as exc:
        raise FeedError(f"bad earthquake entry ({type(exc).__name__}: {exc})") from None
    if when.tzinfo is None:
        raise FeedError(f"earthquake DateTime {item['DateTime']!r} has no offset")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180 and 0 <= magnitude <= 10):
        raise FeedError(f"earthquake at {lat},{lon} M{magnitude} is out of range")
    return Quake(
        key=f"{when.isoformat()}|{lat:.2f},{lon:.2f}",
        occurred_at=when,
        lat=lat,
        lon=lon,
        magnitude=magnitude,
        depth_km=_depth(item.get("Kedalaman")),
        region=str(item.get("Wilayah", ""))[:300],
        felt=str(item.get("Dirasakan", ""))[:300],
        potential=str(item.get("Potensi", ""))[:300],
    )


def _depth(text: Any) -> float | None:
    try:
        return float(str(text).split()[0])
    except (ValueError, IndexError):
        return None


def parse_forecast(data: bytes) -> dict[str, Any]:
    """The compact forecast of one kelurahan: where, and its 3-hourly slots."""
    body = _json(data)
    try:
        place = body["lokasi"]
        days = body["data"][0]["cuaca"]
        slots = [slot for day in days for slot in day]
        compact = [{k: slot.get(k) for k in FORECAST_FIELDS} for slot in slots]
        location = {k: place.get(k) for k in ("adm4", "desa", "kecamatan", "kotkab", "lat", "lon")}
    except (KeyError, IndexError, TypeError, AttributeError):
        raise FeedError("forecast lacks lokasi or data[0].cuaca[day][slot]") from None
    if not location["adm4"] or not compact:
        raise FeedError("forecast has no adm4 code or no time slots")
    return {**location, "slots": compact}
