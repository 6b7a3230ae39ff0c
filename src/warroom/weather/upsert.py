"""Dialect-specific bulk statements (SQLite and PostgreSQL both speak ON CONFLICT)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from warroom.weather.models import WeatherLatest, WeatherObservation


def _insert(session: Session, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def insert_ignoring_duplicates(
    session: Session, model: type[WeatherObservation], rows: list[dict[str, Any]]
) -> None:
    """A reading delivered twice (MQTT at-least-once, a device retrying) is stored once."""
    statement = _insert(session, model.__table__).on_conflict_do_nothing(
        index_elements=["datastream_id", "observed_at"]
    )
    session.execute(statement, rows)


def upsert_latest(session: Session, model: type[WeatherLatest], rows: list[dict[str, Any]]) -> None:
    """Replace each datastream's latest value unless the stored one is newer."""
    if not rows:
        return
    statement = _insert(session, model.__table__)
    statement = statement.on_conflict_do_update(
        index_elements=["datastream_id"],
        set_={
            "observed_at": statement.excluded.observed_at,
            "value": statement.excluded.value,
            "qc_flags": statement.excluded.qc_flags,
        },
        where=model.__table__.c.observed_at < statement.excluded.observed_at,
    )
    session.execute(statement, rows)
