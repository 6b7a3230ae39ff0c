"""Swept files leave the disk without dangling index rows or orphans: the removal journal and its
recovery after a crash on either side of the commit."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from tests.cameras.test_retention import BIG, remaining, setup_camera
from warroom.cameras import index, retention
from warroom.cameras.index import NewSegment
from warroom.cameras.removals import RemovalJournal
from warroom.core.clock import utcnow
from warroom.core.db import Database


def recorded(db: Database, folder: Path, hours: int) -> tuple[int, list[Path]]:
    """A camera kept 1 day with ``hours`` hourly segments whose files exist."""
    now = utcnow()
    camera_id = setup_camera(db, hot_days=1, archive_days=0)
    files = [folder / f"seg-{h}.ts" for h in range(hours)]
    segments = []
    for h, path in enumerate(files):
        path.write_bytes(b"ts")
        start = now - timedelta(hours=hours - h)
        segments.append(
            NewSegment(camera_id, "hot", start, start + timedelta(minutes=59), 2, str(path))
        )
    with db.write() as session:
        index.add_segments(session, segments)
    return camera_id, files


def sweep(db: Database) -> retention.SweepResult:
    with db.write() as session:
        return retention.sweep(session, now=utcnow(), budgets={"hot": BIG, "archive": BIG})


def test_sweep_reports_the_ids_and_paths_it_deleted(db: Database, tmp_path: Path) -> None:
    _, files = recorded(db, tmp_path, 30)
    result = sweep(db)
    assert sorted(result.paths) == sorted(str(f) for f in files[:6])  # older than a day
    assert len(set(result.ids)) == 6
    assert {s.id for s in remaining(db)}.isdisjoint(result.ids)
    assert result.freed_bytes == 12


def test_crash_after_commit_recovery_removes_the_orphans(db: Database, tmp_path: Path) -> None:
    _, files = recorded(db, tmp_path, 30)
    journal = RemovalJournal(tmp_path / "journal")
    result = sweep(db)
    journal.record(result.ids, result.paths)  # committed, then the process died: no finish()
    assert all(f.exists() for f in files)
    assert journal.recover(db) == 6
    assert [f.exists() for f in files] == [False] * 6 + [True] * 24
    assert not list((tmp_path / "journal").iterdir())


def test_crash_before_commit_recovery_keeps_indexed_files(db: Database, tmp_path: Path) -> None:
    _, files = recorded(db, tmp_path, 30)
    journal = RemovalJournal(tmp_path / "journal")
    try:
        with db.write() as session:
            result = retention.sweep(session, now=utcnow(), budgets={"hot": BIG, "archive": BIG})
            journal.record(result.ids, result.paths)
            raise RuntimeError("crash before the commit")
    except RuntimeError:
        pass
    assert len(remaining(db)) == 30  # rolled back
    assert journal.recover(db) == 0
    assert all(f.exists() for f in files)


def test_recovery_skips_a_torn_last_line_and_a_reused_id(db: Database, tmp_path: Path) -> None:
    _, files = recorded(db, tmp_path, 3)
    kept = remaining(db)[0]
    stale, torn = tmp_path / "stale.ts", tmp_path / "seg"
    stale.write_bytes(b"ts")
    torn.write_bytes(b"not a segment")
    folder = tmp_path / "journal"
    folder.mkdir()
    # id of a live row but another path (an id reused after the crash): the old file goes;
    # a last line cut off mid-path ("seg" of "seg-0.ts") must not be taken for a whole one.
    (folder / "retention-1.journal").write_text(f"{kept.id}\t{stale}\n{kept.id}\t{torn}")
    assert RemovalJournal(folder).recover(db) == 1
    assert not stale.exists() and torn.exists() and all(f.exists() for f in files)


def test_runtime_order_unlinks_after_commit(db: Database, tmp_path: Path) -> None:
    _, files = recorded(db, tmp_path, 30)
    journal = RemovalJournal(tmp_path / "journal")
    with db.write() as session:
        result = retention.sweep(session, now=utcnow(), budgets={"hot": BIG, "archive": BIG})
        pending = journal.record(result.ids, result.paths)
        assert all(f.exists() for f in files)  # nothing leaves the disk before the commit
    journal.finish(pending, result.paths)
    assert [f.exists() for f in files] == [False] * 6 + [True] * 24
    assert not pending.exists()


def test_sweep_restores_the_sqlite_page_cache(sqlite_template: Path, tmp_path: Path) -> None:
    """A SQLite setting, so SQLite only (no PostgreSQL variant to skip)."""
    path = tmp_path / "cache.db"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    recorded(db, tmp_path, 30)
    with db.write() as session:
        before = session.execute(text("PRAGMA cache_size")).scalar_one()
        retention.sweep(session, now=utcnow(), budgets={"hot": BIG, "archive": BIG})
        assert session.execute(text("PRAGMA cache_size")).scalar_one() == before
    db.dispose()
