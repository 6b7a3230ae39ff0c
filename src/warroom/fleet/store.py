"""Batched writes of the ingest path: one transaction per batch.

Positions skip SQLAlchemy's per-row parameter processing, which cost more than SQLite's own
insert: rows are encoded here exactly as the `UtcDateTime` and `JSON` column types store them
(SQLite: `YYYY-MM-DD HH:MM:SS.ffffff` UTC text, JSON text; PostgreSQL: aware datetimes, JSON
text) and handed to the driver: executemany on SQLite, COPY on PostgreSQL.
"""

from __future__ import annotations

from _json import make_encoder  # the C encoder `json.dumps` itself uses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from json.encoder import encode_basestring_ascii
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from warroom.core import outbox
from warroom.core.bus.events import Event
from warroom.core.db import Database
from warroom.fleet.models import DeviceState, Position, UnknownDevice

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
    Mapping[str, Any],
]
COLUMN_LIST = (
    "device_id, vehicle_id, time, received_at, valid, lat, lon, speed_kmh, course, altitude, "
    "satellites, attributes"
)
COLUMNS = COLUMN_LIST.split(", ")
SQLITE_INSERT = "INSERT INTO fleet_positions (" + COLUMN_LIST + ") VALUES (" + "?, " * 11 + "?)"
# Many rows per INSERT on SQLite: the sqlite3 module releases the GIL around every statement
# step, and with executemany (one step a row) the writer thread then queued for the GIL behind
# the busy event loop thousands of times a batch (a batch took 5-10x its CPU time).
# The row counts of those INSERTs, largest first: a batch is as many of each as fit, in turn.
# The driver keeps every statement text prepared, per connection, and a big one is big
# (SQLite's memory for an INSERT of 1,024 rows x 12 columns: 1.3 MB; of 512 rows: 0.6 MB).
# Powers of two up to 1,024 came to 2.5 MB a table a connection, prepared one by one as
# bursts brought larger batches, so the server's memory rose through a whole soak; these
# four sizes are 0.75 MB. A 2,000-row batch takes up to 24 statement steps instead of up to
# 11, which measured no slower (256, 16, 1: up to 37 steps, 5 % slower).
SQLITE_CHUNK_ROWS = (512, 64, 8, 1)
_POSITIONS_HEAD = "INSERT INTO fleet_positions (" + COLUMN_LIST + ")"
STATE_COLUMNS = (
    "device_id", "last_seen_at", "online", "fix_time", "lat", "lon", "speed_kmh", "course",
    "moving", "detail",
)  # fmt: skip
_STATES_HEAD = "INSERT INTO fleet_device_states (" + ", ".join(STATE_COLUMNS) + ")"
_STATES_TAIL = " ON CONFLICT (device_id) DO UPDATE SET " + ", ".join(
    f"{name} = excluded.{name}" for name in STATE_COLUMNS[1:]
)
PG_INSERT = "INSERT INTO fleet_positions (" + COLUMN_LIST + ") VALUES (" + "%s, " * 11 + "%s::json)"
PG_COPY = "COPY fleet_positions (" + COLUMN_LIST + ") FROM STDIN"


def _sqlite_time(moment: datetime) -> str:
    if moment.tzinfo is UTC:  # what decoders produce: skip the conversion
        return moment.isoformat(" ", "microseconds")[:26]
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _no_default(value: object) -> object:
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


# `json.dumps` builds this C encoder anew on every call, which costs more than encoding a
# small dict; the output is the same (its default separators, ASCII, NaN allowed).
_encode_json = make_encoder(
    None, _no_default, encode_basestring_ascii, None, ": ", ", ", False, False, True
)


def attributes_json(attributes: Mapping[str, Any]) -> str:
    if not attributes:
        return "{}"
    return "".join(_encode_json(attributes if type(attributes) is dict else dict(attributes), 0))


@dataclass(frozen=True, slots=True)
class EncodedPositions:
    """Rows ready for the driver: on SQLite their values one after the other, as the column
    types store them; PostgreSQL's COPY encodes the rows itself as it sends them."""

    rows: list[PositionRow]
    sqlite_values: list[Any] | None

    def __len__(self) -> int:
        return len(self.rows)


def encode_positions(rows: list[PositionRow], *, sqlite: bool) -> EncodedPositions:
    """The Python half of an insert, which the group-commit writer does before it takes
    the database (so the commit itself is mostly the driver's C code)."""
    return EncodedPositions(rows, _sqlite_values(rows) if sqlite and rows else None)


def insert_positions(session: Session, rows: list[PositionRow] | EncodedPositions) -> None:
    if not rows:
        return
    postgres = session.get_bind().dialect.name == "postgresql"
    if not isinstance(rows, EncodedPositions):
        rows = encode_positions(rows, sqlite=not postgres)
    if postgres:
        _copy_positions(session, rows.rows)
        return
    values = rows.sqlite_values
    assert values is not None  # encoded for SQLite
    _insert_rows(sqlite_writer(session), _POSITIONS_HEAD, len(COLUMNS), values)


def _insert_rows(connection: Any, head: str, width: int, values: list[Any], tail: str = "") -> None:
    """SQLite: `values` (rows of `width` one after the other) in multi-row statements,
    `head VALUES (...), (...) tail`: one statement step per chunk rather than per row."""
    start = 0
    for count in _sqlite_chunks(len(values) // width):
        end = start + count * width
        connection.execute(_multirow(head, width, count, tail), values[start:end])
        start = end


def _sqlite_values(rows: list[PositionRow]) -> list[Any]:
    """The rows' values one after the other, as the column types store them.

    Each distinct time is formatted once a batch: every fix of one message shares its
    receive time, and fix times are mostly whole seconds that many trackers share (a fleet
    reporting every 5 s puts a fifth of its devices on each second). A lookup costs a tenth
    of formatting (1.2 µs)."""
    values: list[Any] = []
    texts: dict[datetime, str] = {}
    as_json, add, known, as_text = attributes_json, values.extend, texts.get, _sqlite_time
    for d, v, t, r, ok, la, lo, sp, co, al, sa, at in rows:
        fix_time = known(t) or texts.setdefault(t, as_text(t))
        received = known(r) or texts.setdefault(r, as_text(r))
        add((d, v, fix_time, received, ok, la, lo, sp, co, al, sa, as_json(at)))
    return values


def sqlite_writer(session: Session) -> Any:
    """The write session's sqlite3 connection (its page cache is sized in `core.db`)."""
    connection = session.connection().connection.driver_connection
    assert connection is not None  # a live session's connection
    return connection


def _sqlite_chunks(rows: int) -> list[int]:
    """Row counts of the multi-row INSERTs for `rows` rows (see `SQLITE_CHUNK_ROWS`)."""
    chunks = []
    for size in SQLITE_CHUNK_ROWS:
        full, rows = divmod(rows, size)
        chunks += [size] * full
    return chunks


@cache
def _multirow(head: str, width: int, rows: int, tail: str) -> str:
    row = "(" + ", ".join("?" * width) + ")"
    # Only constants and placeholders: the values are bound.
    return head + " VALUES " + ", ".join([row] * rows) + tail


def _copy_positions(session: Session, rows: list[PositionRow]) -> None:
    """PostgreSQL: COPY in the session's transaction, about half the client CPU of an
    executemany of INSERTs and less work for the server too."""
    as_json = attributes_json
    connection = session.connection().connection.driver_connection
    assert connection is not None  # a live session's connection
    with connection.cursor() as cursor, cursor.copy(PG_COPY) as copy:
        for row in rows:
            copy.write_row((*row[:11], as_json(row[11])))


def write_batch(
    session: Session,
    *,
    rows: list[PositionRow] | EncodedPositions,
    events: list[Event],
    states: list[dict[str, Any]],
) -> None:
    insert_positions(session, rows)
    for event in events:
        outbox.enqueue(session, event)
    if states:
        write_states(session, states)


def write_states(session: Session, states: list[dict[str, Any]]) -> None:
    """Upsert device states (`STATE_COLUMNS` keys). On SQLite in multi-row statements: an
    executemany steps once a row, and the commit thread then waited for the interpreter lock
    again after each of a thousand devices' rows, every flush."""
    if session.get_bind().dialect.name != "sqlite":
        statement = _upsert(session, STATES)
        columns = {name: statement.excluded[name] for name in STATE_COLUMNS[1:]}
        session.execute(
            statement.on_conflict_do_update(index_elements=["device_id"], set_=columns), states
        )
        return
    values: list[Any] = []
    add, as_time, as_json = values.extend, _optional_sqlite_time, attributes_json
    for state in states:
        add((state["device_id"], as_time(state["last_seen_at"]), state["online"],
             as_time(state["fix_time"]), state["lat"], state["lon"], state["speed_kmh"],
             state["course"], state["moving"], as_json(state["detail"])))  # fmt: skip
    _insert_rows(sqlite_writer(session), _STATES_HEAD, len(STATE_COLUMNS), values, _STATES_TAIL)


def _optional_sqlite_time(moment: datetime | None) -> str | None:
    return None if moment is None else _sqlite_time(moment)


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


def load_latest_fix_times(db: Database, rows: int) -> list[tuple[int, datetime]]:
    """(device, fix time) of the last `rows` positions stored, oldest first.

    What a crash can leave committed but unacknowledged is the tail of the table (the batches
    in flight), whatever the fixes' own times: a device resends exactly those, so they are
    what the duplicate filter must know again after a restart. Read through the primary key.
    """
    positions = Position.__table__
    newest = (
        select(positions.c.id, positions.c.device_id, positions.c.time)
        .order_by(positions.c.id.desc())
        .limit(rows)
        .subquery()
    )
    with db.read() as session:
        found = session.execute(select(newest.c.device_id, newest.c.time).order_by(newest.c.id))
        return [(device, time) for device, time in found]
