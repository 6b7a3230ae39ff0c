"""Reading the JSON bodies of OsmAnd/Traccar Client and OwnTracks without trusting them.

`json.loads` alone accepts NaN, raises `RecursionError` on deep nesting and `ValueError` on
huge integers; all of these become a `DecodeError` here, and typed getters check each field.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from warroom.fleet.protocols.records import DecodeError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DecodeError(f"{what} {key} must be a number, got {value!r:.40}")
    if not math.isfinite(value):
        raise DecodeError(f"{what} {key} is not finite")
    return float(value)


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
        return EPOCH + timedelta(seconds=seconds)
    except OverflowError:
        raise DecodeError(f"{what} timestamp out of range: {seconds}") from None


def iso_time(text: object, what: str) -> datetime:
    """ISO 8601; a time without offset is taken as UTC."""
    if not isinstance(text, str):
        raise DecodeError(f"{what} timestamp must be a string")
    try:
        moment = datetime.fromisoformat(text)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise DecodeError(f"{what} timestamp is not ISO 8601: {text[:40]!r}") from None
