"""OsmAnd / Traccar Client over HTTP (port 5055).

Source: Traccar's OsmAndProtocolDecoder and the Traccar Client apps. Two shapes:

- query string (GET, or POST with the query in the URL or a form body): `id` (or `deviceid`),
  `timestamp` (epoch seconds, epoch milliseconds or ISO 8601; without it the fix gets the
  time it was received, as in Traccar), `lat`/`lon` or
  `location=lat,lon`, `speed` in KNOTS, `bearing`/`heading`, `altitude`, `accuracy`, `hdop`,
  `batt`, `valid`; every other parameter becomes an attribute (typed: bool, int, float, text).
  An id without coordinates is a heartbeat.
- JSON body of the current Traccar Client (background geolocation plugin):
  `{"device_id", "location": {"timestamp", "coords": {latitude, longitude, speed (m/s),
  heading, altitude, accuracy}, "battery": {level 0-1, is_charging}, "is_moving", ...}}`;
  `location` may also be a list (a batch).

The device only needs HTTP 200 (400 on a `DecodeError`), so there are no reply bytes.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from warroom.core.clock import utcnow
from warroom.fleet.protocols import jsonfields as jf
from warroom.fleet.protocols.records import (
    AttributeValue,
    Decoded,
    DecodeError,
    HeartbeatRecord,
    PositionRecord,
    Record,
)
from warroom.fleet.protocols.session import Session
from warroom.fleet.protocols.textfields import KNOTS_TO_KMH, number

MS_TO_KMH = 3.6
MAX_FIELDS = 200
EPOCH_SECONDS_LIMIT = 2**31  # larger integers are milliseconds, as Traccar decides
# Epoch milliseconds reach year 9999 with 15 digits; longer runs cannot be a time and would
# overflow a float when divided into seconds.
MAX_EPOCH_DIGITS = 18
_INTEGER = re.compile(r"-?\d{1,18}")
_DIGITS = re.compile(r"-?\d+")
KNOWN_KEYS = frozenset(
    {
        "id",
        "deviceid",
        "timestamp",
        "lat",
        "lon",
        "location",
        "speed",
        "bearing",
        "heading",
        "altitude",
        "valid",
        "accuracy",
        "hdop",
        "batt",
    }
)


def decode(message: bytes, session: Session) -> Decoded:
    """Decode a request: the URL path with its query, a form body, or a JSON body."""
    stripped = message.strip()
    if stripped.startswith(b"{"):
        return _decode_json(jf.load_object(stripped, "OsmAnd"), session)
    try:
        text = stripped.decode("utf-8")
    except UnicodeDecodeError:
        raise DecodeError("OsmAnd request is not UTF-8") from None
    return _decode_query(_parameters(text), session)


def _parameters(text: str) -> dict[str, str]:
    query = text.split("?", 1)[1] if "?" in text else text
    try:
        pairs = parse_qsl(query, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:
        raise DecodeError(f"OsmAnd request has more than {MAX_FIELDS} parameters") from None
    return dict(pairs)


def _decode_query(params: dict[str, str], session: Session) -> Decoded:
    device_id = params.get("id") or params.get("deviceid")
    if not device_id:
        raise DecodeError("OsmAnd request has no device id (id=...)")
    session.device_id = device_id
    attributes = {key: _typed(value) for key, value in params.items() if key not in KNOWN_KEYS}
    for key, name in (("accuracy", "accuracy"), ("hdop", "hdop"), ("batt", "battery_level")):
        if params.get(key):
            attributes[name] = number(params[key], f"OsmAnd {key}")
    coordinates = _coordinates(params)
    if coordinates is None:
        return Decoded((HeartbeatRecord(device_id, attributes),))
    speed = _optional(params, "speed")
    position = PositionRecord(
        device_id=device_id,
        time=_timestamp(params.get("timestamp", "")),
        valid=params.get("valid", "true").lower() in ("true", "1"),
        lat=coordinates[0],
        lon=coordinates[1],
        speed_kmh=None if speed is None else speed * KNOTS_TO_KMH,
        course=_optional(params, "bearing" if params.get("bearing") else "heading"),
        altitude=_optional(params, "altitude"),
        attributes=attributes,
    )
    return Decoded((position,))


def _optional(params: dict[str, str], key: str) -> float | None:
    value = params.get(key)
    return number(value, f"OsmAnd {key}") if value else None


def _coordinates(params: dict[str, str]) -> tuple[float, float] | None:
    if params.get("location"):
        parts = params["location"].split(",")
        if len(parts) != 2:
            raise DecodeError("OsmAnd location must be 'lat,lon'")
        return number(parts[0], "OsmAnd latitude"), number(parts[1], "OsmAnd longitude")
    lat, lon = _optional(params, "lat"), _optional(params, "lon")
    if lat is None or lon is None:
        return None
    return lat, lon


def _timestamp(text: str) -> datetime:
    if not text:  # as Traccar does: the fix is taken to be as old as the request
        return utcnow()
    if _DIGITS.fullmatch(text):
        return _epoch_time(text)
    return jf.iso_time(text, "OsmAnd")


def _epoch_time(text: str) -> datetime:
    """Epoch seconds, or milliseconds above 2^31. Every string of digits is a number here:
    `datetime.fromisoformat` would read 19 or more of them as a date in ISO basic format."""
    digits = len(text.lstrip("-"))
    if digits > MAX_EPOCH_DIGITS:
        raise DecodeError(f"OsmAnd timestamp out of range: a {digits}-digit number")
    value = int(text)
    seconds = value if abs(value) < EPOCH_SECONDS_LIMIT else value / 1000
    return jf.epoch_time(seconds, "OsmAnd")


def _typed(text: str) -> AttributeValue:
    """Query values are text; keep numbers and booleans as such for rules and reports."""
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if _INTEGER.fullmatch(text):
        return int(text)
    try:
        return number(text, "")
    except DecodeError:
        return text


def _decode_json(root: dict[str, Any], session: Session) -> Decoded:
    device_id = root.get("device_id")
    if not isinstance(device_id, str | int) or isinstance(device_id, bool) or device_id == "":
        raise DecodeError("OsmAnd JSON has no device_id")
    session.device_id = str(device_id)
    locations = root.get("location")
    batch = locations if isinstance(locations, list) else [locations]
    records: list[Record] = [_json_location(session.device_id, item) for item in batch]
    return Decoded(tuple(records))


def _json_location(device_id: str, location: object) -> PositionRecord:
    if not isinstance(location, dict):
        raise DecodeError("OsmAnd JSON location must be an object")
    coords = jf.optional_object(location, "coords", "OsmAnd location")
    speed = jf.optional_number(coords, "speed", "OsmAnd coords")
    heading = jf.optional_number(coords, "heading", "OsmAnd coords")
    return PositionRecord(
        device_id=device_id,
        time=jf.iso_time(location.get("timestamp"), "OsmAnd location"),
        valid=True,
        lat=jf.required_number(coords, "latitude", "OsmAnd coords"),
        lon=jf.required_number(coords, "longitude", "OsmAnd coords"),
        # The plugin reports -1 for "unknown" speed and heading.
        speed_kmh=None if speed is None or speed < 0 else speed * MS_TO_KMH,
        course=None if heading is None or heading < 0 else heading,
        altitude=jf.optional_number(coords, "altitude", "OsmAnd coords"),
        attributes=_json_attributes(location, coords),
    )


def _json_attributes(location: dict[str, Any], coords: dict[str, Any]) -> dict[str, AttributeValue]:
    attributes: dict[str, AttributeValue] = {}
    accuracy = jf.optional_number(coords, "accuracy", "OsmAnd coords")
    if accuracy is not None:
        attributes["accuracy"] = accuracy
    battery = jf.optional_object(location, "battery", "OsmAnd location")
    level = jf.optional_number(battery, "level", "OsmAnd battery")
    if level is not None and level >= 0:
        attributes["battery_level"] = round(level * 100, 1)
    if isinstance(battery.get("is_charging"), bool):
        attributes["charging"] = battery["is_charging"]
    if isinstance(location.get("is_moving"), bool):
        attributes["motion"] = location["is_moving"]
    odometer = jf.optional_number(location, "odometer", "OsmAnd location")
    if odometer is not None:
        attributes["odometer"] = odometer
    if isinstance(location.get("event"), str):
        attributes["event"] = location["event"]
    return attributes
