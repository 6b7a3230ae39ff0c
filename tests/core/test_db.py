"""Helpers of the database module that do not need a database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from warroom.core.db import Database, padded_in_list

FULL = 2  # PRAGMA synchronous: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA


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
