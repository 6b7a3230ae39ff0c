"""Helpers for the weather tests: stations, reports and waiting on conditions."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from tests.conftest import TEST_ACTOR
from warroom.core.db import Database
from warroom.core.outbox import OutboxMessage
from warroom.weather import service
from warroom.weather.schemas import ObservationIn, StationCreate

WITA = timedelta(hours=8)


def make_station(db: Database, code: str = "ARG-01", **overrides: Any) -> int:
    values: dict[str, Any] = {
        "code": code,
        "name": f"Station {code}",
        "kind": "rain_gauge",
        "lat": -5.135,
        "lon": 119.49,
        "interval_seconds": 300,
    }
    values.update(overrides)
    with db.write() as session:
        return service.create_station(session, data=StationCreate(**values), actor=TEST_ACTOR).id


def report(when: datetime, **values: float) -> ObservationIn:
    return ObservationIn(observed_at=when, values=values)


def recent(minutes_ago: float = 0) -> datetime:
    """A time in the recent past, rounded to the second."""
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).replace(microsecond=0)


def topics(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(OutboxMessage.topic).order_by(OutboxMessage.id)))


def wait_for(condition: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
