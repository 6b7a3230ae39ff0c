"""Helpers of the database module that do not need a database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from warroom.core.db import SQLITE_WRITE_CACHE_KIB, Database, padded_in_list

FULL = 2  # PRAGMA synchronous: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA
SQLITE_DEFAULT_CACHE = -2000  # PRAGMA cache_size unless set: 2,000 KiB


def test_in_lists_are_padded_to_a_power_of_two_with_the_last_value() -> None:
    assert padded_in_list([]) == []
    assert padded_in_list([7]) == [7]
    assert padded_in_list([1, 2, 3]) == [1, 2, 3, 3]
    assert padded_in_list([1, 2, 3, 4]) == [1, 2, 3, 4]
    sizes = {len(padded_in_list(list(range(n)))) for n in range(1, 201)}
    assert sizes == {1, 2, 4, 8, 16, 32, 64, 128, 256}


def test_every_sqlite_connection_syncs_each_commit_to_disk(tmp_path: Path) -> None:
    """A tracker is acknowledged once its fixes are committed: with WAL and synchronous
    NORMAL a commit survives the process being killed but not a power cut, so every
    connection, reading or writing, runs with FULL (the WAL synced before commit returns)."""
    db = Database(f"sqlite:///{tmp_path / 'sync.db'}")
    try:
        with db.write() as writing, db.read() as reading:
            for session in (writing, reading):
                assert session.execute(text("PRAGMA synchronous")).scalar() == FULL
                assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        db.dispose()


def test_sqlite_write_sessions_share_one_connection_whatever_reads_do(tmp_path: Path) -> None:
    """A commit on one connection discards the page caches of the others: writes spread over
    the pool (which hands out the connection idle longest) had the fleet writer's cache
    refilled and thrown away many times a minute."""
    db = Database(f"sqlite:///{tmp_path / 'one.db'}")
    writers: list[int] = []
    readers: list[int] = []

    def driver(session: Session) -> int:
        return id(session.connection().connection.driver_connection)

    try:
        for _ in range(4):
            with db.read() as reading:  # a read in progress, as the API does all day
                readers.append(driver(reading))
                with db.write() as writing:
                    writing.execute(text("CREATE TABLE IF NOT EXISTS t (x)"))
                    writing.execute(text("INSERT INTO t VALUES (1)"))
                    writers.append(driver(writing))
        assert len(set(writers)) == 1
        assert not set(readers) & set(writers)
        with db.write() as writing, db.read() as reading:  # only the kept cache is enlarged
            assert writing.execute(text("PRAGMA cache_size")).scalar() == -SQLITE_WRITE_CACHE_KIB
            assert reading.execute(text("PRAGMA cache_size")).scalar() == SQLITE_DEFAULT_CACHE
    finally:
        db.dispose()
