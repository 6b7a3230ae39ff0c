"""Reading the JSON bodies of OsmAnd/Traccar Client and OwnTracks without trusting them.

`json.loads` alone accepts NaN, raises `RecursionError` on deep nesting and `ValueError` on
integers beyond 4300 digits; all of these become a `DecodeError` here, and typed getters check
each field. An integer that parses but no float can hold (a 400-digit latitude) and a time
outside what `datetime` can convert are `DecodeError`s too, never an `OverflowError`.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from warroom.fleet.protocols.records import DecodeError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EARLIEST = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)
LATEST = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)
_JSON_TYPES = {bool: "true or false", str: "a string", list: "an array", dict: "an object"}


def _reject_constant(name: str) -> float:
    raise DecodeError(f"JSON constant {name} is not allowed")


def load_object(message: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(message, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, DecodeError):
            raise
        raise DecodeError(f"{what} body is not valid JSON: {str(exc)[:120]}") from None
    if not isinstance(value, dict):
        raise DecodeError(f"{what} body must be a JSON object")
    return value


def optional_number(data: dict[str, Any], key: str, what: str) -> float | None:
    """A finite float, or None when the key is absent or null."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        # The type, not the value: a value can be huge, or nested too deep to repr.
        found = _JSON_TYPES.get(type(value), type(value).__name__)
        raise DecodeError(f"{what} {key} must be a number, got {found}")
    try:
        number = float(value)  # an int beyond a float raises here instead of becoming inf
    except OverflowError:
        digits = len(str(abs(value)))
        raise DecodeError(f"{what} {key} is too large: a {digits}-digit integer") from None
    if not math.isfinite(number):  # 1e400 parses as inf
        raise DecodeError(f"{what} {key} is not finite")
    return number


def required_number(data: dict[str, Any], key: str, what: str) -> float:
    value = optional_number(data, key, what)
    if value is None:
        raise DecodeError(f"{what} has no {key}")
    return value


def optional_object(data: dict[str, Any], key: str, what: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise DecodeError(f"{what} {key} must be a JSON object")
    return value


def epoch_time(seconds: float, what: str) -> datetime:
    try:
        moment = EPOCH + timedelta(seconds=seconds)
    except OverflowError:
        moment = None
    return _in_range(moment, what, f"{seconds:.6g}")


def iso_time(text: object, what: str) -> datetime:
    """ISO 8601; a time without offset is taken as UTC."""
    if not isinstance(text, str):
        raise DecodeError(f"{what} timestamp must be a string")
    try:
        moment = datetime.fromisoformat(text)
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise DecodeError(f"{what} timestamp is not ISO 8601: {text[:40]!r}") from None
    return _in_range(moment, what, repr(text[:40]))


def _in_range(moment: datetime | None, what: str, shown: str) -> datetime:
    """Refuse the first and last day `datetime` can hold: showing such a fix in local time
    (WITA is UTC+8) would overflow in every page and report that reads it."""
    if moment is None or not EARLIEST <= moment <= LATEST:
        raise DecodeError(f"{what} timestamp out of range: {shown}")
    return moment
