"""Database engine and sessions for SQLite (default) and PostgreSQL.

SQLite runs in WAL mode so readers never wait for the writer, and syncs every commit to disk
before it returns (``synchronous=FULL``). Its Python driver's own transaction
handling is switched off and transactions are begun here, so that write sessions can take the
write lock up front (``BEGIN IMMEDIATE``): a deferred transaction that reads and then writes can
otherwise fail with "database is locked" when another writer committed in between.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import DateTime, Engine, MetaData, TypeDecorator, create_engine, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

_IMMEDIATE = "warroom_sqlite_immediate"
_T = TypeVar("_T")

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both backends (SQLite stores no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def padded_in_list(values: list[_T]) -> list[_T]:
    """`values` lengthened to the next power of two by repeating the last one, for an
    `IN (...)` list in a statement run all day with lists of any length.

    Each length renders a different SQL text, and SQLite's driver keeps up to 128 prepared
    statements per pooled connection: lists of 1 to 200 ids kept adding statements to those
    caches (server memory rising through a whole 10-minute soak). Padded, a list of up to 256
    has one of nine shapes; a repeated value does not change what `IN` matches."""
    if not values:
        return values
    size = 1 << (len(values) - 1).bit_length()
    return values + [values[-1]] * (size - len(values))


def _configure_sqlite(engine: Engine, *, cache_kib: int | None = None) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves, see module docstring
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # FULL: the WAL is synced before a commit returns, so what was acknowledged survives
        # a power cut too (NORMAL only a crash of the process). One sync a commit: the
        # fleet's group commit measured 3 % slower, within the noise of alternating runs.
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        if cache_kib is not None:
            cur.execute(f"PRAGMA cache_size=-{cache_kib}")  # negative: in KiB, not pages
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


# SQLite writes of this process take turns on one connection (`Database.write` holds a lock
# anyway). Each connection has its own page cache, and a commit on one discards the others'
# at their next transaction: with writes spread over the pool, the fleet writer's cache was
# refilled (up to 16 MB for 2,000 trackers) and thrown away many times a minute, and the
# freed pages left glibc's heap fragmented, the server's memory rising through a whole soak.
# Overflow connections serve only a write session opened inside another.
SQLITE_WRITE_POOL = {"pool_size": 1, "max_overflow": 4}
# The write connection's page cache, kept for good. A fleet batch from a thousand trackers
# touches a leaf page of both position indexes per tracker, and SQLite's default 2 MB cache
# spilled them to the WAL in the middle of the insert; 16 MiB holds those pages for 2,000
# trackers and fills in the first minutes (64 MiB kept growing through a whole soak).
SQLITE_WRITE_CACHE_KIB = 16384


def make_engine(url: str, *, echo: bool = False, writes: bool = False) -> Engine:
    """The engine for `url`; on SQLite, `writes` gives the pool of write sessions."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        pool: dict[str, Any] = SQLITE_WRITE_POOL if writes else {}
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False}, **pool)
        _configure_sqlite(engine, cache_kib=SQLITE_WRITE_CACHE_KIB if writes else None)
        return engine
    return create_engine(url, echo=echo, pool_size=10, max_overflow=20, pool_pre_ping=True)


class Database:
    """Owns the engine and hands out sessions; one per process."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._reads = sessionmaker(self.engine, expire_on_commit=False)
        self._write_engine = make_engine(url, writes=True) if self.is_sqlite else self.engine
        writer = (
            self._write_engine.execution_options(**{_IMMEDIATE: True})
            if self.is_sqlite
            else self.engine
        )
        self._writes = sessionmaker(writer, expire_on_commit=False)
        # SQLite has one writer. Threads of this process queue on a lock instead of on SQLite's
        # busy handler, which sleeps in growing steps (up to 100 ms) and turned a few
        # concurrent writers into 600 ms tails. Other processes still meet busy_timeout.
        self._write_lock: AbstractContextManager[object] = (
            threading.RLock() if self.is_sqlite else nullcontext()
        )

    @property
    def write_engine(self) -> Engine:
        """The engine of write sessions (on PostgreSQL the same as `engine`)."""
        return self._write_engine

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for queries; rolled back at the end."""
        with self._reads() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose transaction commits when the block ends without an exception."""
        with self._write_lock, self._writes() as session, session.begin():
            yield session

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
        if self._write_engine is not self.engine:
            self._write_engine.dispose()
