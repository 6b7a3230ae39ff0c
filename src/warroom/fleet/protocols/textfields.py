"""Parsing helpers for the NMEA-like text protocols (NMEA, H02, TK103, GPS103).

Every failure is a `DecodeError` naming the field, so a bad message is reported clearly and
never as a bare `ValueError` from `float()`.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

from warroom.fleet.protocols.records import DecodeError

KNOTS_TO_KMH = 1.852
_DASHED = re.compile(r"-?(\d{1,3})-(\d{1,2}(?:\.\d+)?)")
_TIME = re.compile(r"(\d\d)(\d\d)(\d\d)(?:\.(\d{1,6}))?")
_DATE = re.compile(r"(\d\d)(\d\d)(\d\d)")


def as_text(frame: bytes, what: str) -> str:
    """ASCII text with surrounding whitespace (line ends) removed."""
    try:
        return frame.decode("ascii").strip()
    except UnicodeDecodeError:
        raise DecodeError(f"{what} message is not ASCII text") from None


def number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise DecodeError(f"{what} is not a number: {text!r}") from None
    if not math.isfinite(value):
        raise DecodeError(f"{what} is not a finite number: {text!r}")
    return value


def optional_number(text: str, what: str) -> float | None:
    return number(text, what) if text else None


def degrees_minutes(text: str, hemisphere: str, what: str) -> float:
    """`DDMM.MMMM` (or H02's `-DD-MM.MMMM`) with N/S/E/W into signed decimal degrees."""
    dashed = _DASHED.fullmatch(text)
    if dashed:
        degrees, minutes = float(dashed[1]), float(dashed[2])
    else:
        value = number(text, what)
        if value < 0:
            raise DecodeError(f"{what} must not be negative: {text!r}")
        degrees = math.floor(value / 100)
        minutes = value - degrees * 100
    if minutes >= 60:
        raise DecodeError(f"{what} has {minutes} minutes: {text!r}")
    if hemisphere not in ("N", "S", "E", "W"):
        raise DecodeError(f"{what} hemisphere must be N, S, E or W, got {hemisphere!r}")
    decimal = degrees + minutes / 60
    return -decimal if hemisphere in ("S", "W") else decimal


def utc_datetime(
    date_text: str, time_text: str, what: str, *, year_first: bool = False
) -> datetime:
    """`DDMMYY` (or `YYMMDD`) and `HHMMSS[.fff]` into an aware UTC datetime."""
    date = _DATE.fullmatch(date_text)
    clock = _TIME.fullmatch(time_text)
    if date is None or clock is None:
        raise DecodeError(f"{what} date/time is malformed: {date_text!r} {time_text!r}")
    first, month, last = int(date[1]), int(date[2]), int(date[3])
    day, year = (last, first) if year_first else (first, last)
    fraction = int((clock[4] or "0").ljust(6, "0"))
    try:
        return datetime(
            2000 + year,
            month,
            day,
            int(clock[1]),
            int(clock[2]),
            int(clock[3]),
            fraction,
            tzinfo=UTC,
        )
    except ValueError as exc:
        raise DecodeError(f"{what} date/time is invalid: {exc}") from None


def knots(text: str, what: str) -> float | None:
    value = optional_number(text, what)
    return None if value is None else value * KNOTS_TO_KMH
