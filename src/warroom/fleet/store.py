"""Batched writes of the ingest path: one transaction per batch.

Positions skip SQLAlchemy's per-row parameter processing, which cost more than SQLite's own
insert: rows are encoded here exactly as the `UtcDateTime` and `JSON` column types store them
(SQLite: `YYYY-MM-DD HH:MM:SS.ffffff` UTC text, JSON text; PostgreSQL: aware datetimes, JSON
text cast by the server) and handed to the driver's executemany.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from warroom.core import outbox
from warroom.core.bus.events import Event
from warroom.core.db import Database
from warroom.fleet.models import DeviceState, UnknownDevice

STATES: Table = DeviceState.__table__  # type: ignore[assignment]
UNKNOWN: Table = UnknownDevice.__table__  # type: ignore[assignment]


def _upsert(session: Session, table: Any) -> Any:
    """INSERT ... ON CONFLICT for the session's dialect (both spell it the same way)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


PositionRow = tuple[
    int,
    int | None,
    datetime,
    datetime,
    bool,
    float,
    float,
    float | None,
    float | None,
    float | None,
    int | None,
    dict[str, Any],
]
COLUMN_LIST = (
    "device_id, vehicle_id, time, received_at, valid, lat, lon, speed_kmh, course, altitude, "
    "satellites, attributes"
)
SQLITE_INSERT = "INSERT INTO fleet_positions (" + COLUMN_LIST + ") VALUES (" + "?, " * 11 + "?)"
PG_INSERT = "INSERT INTO fleet_positions (" + COLUMN_LIST + ") VALUES (" + "%s, " * 11 + "%s::json)"


def _sqlite_time(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


# Every fix of one message shares its `received_at`: format it once.
_received_text = lru_cache(maxsize=1024)(_sqlite_time)


def insert_positions(session: Session, rows: list[PositionRow]) -> None:
    if not rows:
        return
    dumps = json.dumps
    if session.get_bind().dialect.name == "postgresql":
        encoded: list[tuple[Any, ...]] = [(*row[:11], dumps(row[11])) for row in rows]
        sql = PG_INSERT
    else:
        encoded = [
            (d, v, _sqlite_time(t), _received_text(r), int(ok), la, lo, sp, co, al, sa, dumps(at))
            for d, v, t, r, ok, la, lo, sp, co, al, sa, at in rows
        ]
        sql = SQLITE_INSERT
    session.connection().exec_driver_sql(sql, encoded)


def write_batch(
    session: Session,
    *,
    rows: list[PositionRow],
    events: list[Event],
    states: list[dict[str, Any]],
) -> None:
    insert_positions(session, rows)
    for event in events:
        outbox.enqueue(session, event)
    if states:
        statement = _upsert(session, STATES)
        columns = {name: statement.excluded[name] for name in states[0] if name != "device_id"}
        session.execute(
            statement.on_conflict_do_update(index_elements=["device_id"], set_=columns), states
        )


def note_unknown(
    session: Session, *, unique_id: str, protocol: str, remote: str, at: datetime
) -> bool:
    """List (or refresh) an unregistered device; True when it is listed for the first time."""
    statement = _upsert(session, UNKNOWN)
    exists = session.scalar(select(UNKNOWN.c.attempts).where(UNKNOWN.c.unique_id == unique_id))
    session.execute(
        statement.values(
            unique_id=unique_id,
            protocol=protocol,
            remote=remote[:120],
            first_seen_at=at,
            last_seen_at=at,
            attempts=1,
        ).on_conflict_do_update(
            index_elements=["unique_id"],
            set_={
                "last_seen_at": statement.excluded.last_seen_at,
                "remote": statement.excluded.remote,
                "attempts": UNKNOWN.c.attempts + 1,
            },
        )
    )
    return exists is None


def load_states(db: Database) -> dict[int, dict[str, Any]]:
    with db.read() as session:
        return {row.device_id: dict(row._mapping) for row in session.execute(select(STATES))}
