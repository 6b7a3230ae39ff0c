"""One place to read the time, so every timestamp in warroom is timezone-aware UTC; and the
city's own time zone, for what people read (reports, public warnings, climate days)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

# Makassar keeps Central Indonesian Time all year (no daylight saving): UTC+8.
WITA = timezone(timedelta(hours=8), "WITA")


def utcnow() -> datetime:
    return datetime.now(UTC)
