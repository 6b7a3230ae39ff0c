"""Bulk writes of one batch: its readings and the latest value of each datastream it touched.

A Core insert spends about 10 microseconds per row building parameter dicts and running each
datetime through its type's processors, more than the database spends storing it. Here rows
arrive as tuples and each distinct timestamp is converted once per batch (a report's readings
share one) by the column type's own bind processor, so the stored format is exactly the one
SQLAlchemy writes and reads everywhere else. Then one statement per table and batch:

- SQLite: the driver's ``executemany`` (a C loop over one prepared statement);
- PostgreSQL: one ``INSERT ... SELECT FROM unnest(arrays)`` with the arrays sent in binary
  (psycopg's ``%b``), since psycopg's ``executemany`` still costs about 20 microseconds of
  Python per row and its text array format escapes every element with a regular expression.

Both speak ``ON CONFLICT``: a reading delivered twice (MQTT at-least-once, a device retrying) is
stored once, and a latest value is never replaced by an older one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Dialect

from warroom.weather.models import WeatherLatest, WeatherObservation

Reading = tuple[int, datetime, date, float, int]  # datastream, observed at, WITA day, value, flags
Latest = tuple[int, datetime, float, int]  # datastream, observed at, value, flags

SQLITE_READINGS = (
    "INSERT INTO weather_observations"
    " (datastream_id, observed_at, local_day, value, qc_flags, received_at)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)
POSTGRES_READINGS = (
    "INSERT INTO weather_observations"
    " (datastream_id, observed_at, local_day, value, qc_flags, received_at)"
    " SELECT r.*, %s::timestamptz FROM unnest("
    "%b::integer[], %b::timestamptz[], %b::date[], %b::float8[], %b::integer[]) AS r"
)
KEEP_FIRST = " ON CONFLICT (datastream_id, observed_at) DO NOTHING"
SQLITE_LATEST = (
    "INSERT INTO weather_latest (datastream_id, observed_at, value, qc_flags) VALUES (?, ?, ?, ?)"
)
POSTGRES_LATEST = (
    "INSERT INTO weather_latest (datastream_id, observed_at, value, qc_flags)"
    " SELECT * FROM unnest(%b::integer[], %b::timestamptz[], %b::float8[], %b::integer[])"
)
NEWER_WINS = (
    " ON CONFLICT (datastream_id) DO UPDATE SET observed_at = excluded.observed_at,"
    " value = excluded.value, qc_flags = excluded.qc_flags"
    " WHERE weather_latest.observed_at < excluded.observed_at"
)

_OBSERVATIONS = WeatherObservation.__table__
_LATEST = WeatherLatest.__table__


class BatchWriter:
    """The statements and converters of one database dialect, built once."""

    def __init__(self, dialect: Dialect) -> None:
        if dialect.name not in ("sqlite", "postgresql"):
            raise ValueError(f"weather ingest supports SQLite and PostgreSQL, not {dialect.name}")
        self._postgres = dialect.name == "postgresql"
        self._time = _processor(_OBSERVATIONS.c.observed_at, dialect)
        self._day = _processor(_OBSERVATIONS.c.local_day, dialect)
        self._latest_time = _processor(_LATEST.c.observed_at, dialect)

    def insert_readings(
        self, connection: Connection, rows: Sequence[Reading], received_at: datetime
    ) -> None:
        if not rows:
            return
        when, day, received = _memo(self._time), _memo(self._day), self._time(received_at)
        if self._postgres:
            ids, times, days, values, flags = zip(*rows, strict=True)
            columns = ([*ids], [when(t) for t in times], [day(d) for d in days], [*values])
            statement = POSTGRES_READINGS + KEEP_FIRST
            connection.exec_driver_sql(statement, (received, *columns, [*flags]))
            return
        params = [(ds, when(t), day(d), v, f, received) for ds, t, d, v, f in rows]
        connection.exec_driver_sql(SQLITE_READINGS + KEEP_FIRST, params)

    def upsert_latest(self, connection: Connection, rows: Sequence[Latest]) -> None:
        if not rows:
            return
        when = _memo(self._latest_time)
        if self._postgres:
            ids, times, values, flags = zip(*rows, strict=True)
            columns = ([*ids], [when(t) for t in times], [*values], [*flags])
            connection.exec_driver_sql(POSTGRES_LATEST + NEWER_WINS, columns)
            return
        params = [(ds, when(t), v, f) for ds, t, v, f in rows]
        connection.exec_driver_sql(SQLITE_LATEST + NEWER_WINS, params)


def _processor(column: ColumnElement[Any], dialect: Dialect) -> Callable[[Any], Any]:
    """The conversion SQLAlchemy itself applies to the column's values on this dialect (the
    dialect's implementation of the type: SQLite's keeps datetimes as fixed-width text)."""
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return process if process is not None else _same


def _same(value: Any) -> Any:
    return value


def _memo(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``convert``, remembering its answers for the batch (a report's readings share a time)."""
    seen: dict[Any, Any] = {}

    def converted(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            result = seen[value] = convert(value)
            return result

    return converted
