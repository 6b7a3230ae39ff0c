"""Anchors written outside the database catch what the hash chain alone cannot: the newest
entries deleted, or replaced by a new, self-consistent tail."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from tests.conftest import TEST_SECRET, make_settings
from tests.core.test_audit import _drop_protection, _verify, _write_entries
from warroom.cli import app as cli
from warroom.core.audit_anchor import (
    AnchorFileError,
    append_anchor,
    check_anchors,
    read_anchors,
    take_anchor,
)
from warroom.core.db import Database
from warroom.web.app import create_app


def _anchor(db: Database, path: Path) -> None:
    with db.read() as session:
        anchor = take_anchor(session)
    assert anchor is not None
    append_anchor(path, anchor)


def _check(db: Database, path: Path) -> str:
    with db.read() as session:
        return check_anchors(session, read_anchors(path)).reason


def test_anchors_hold_while_the_trail_only_grows(db: Database, tmp_path: Path) -> None:
    anchors = tmp_path / "anchors.jsonl"
    _write_entries(db, 3)
    _anchor(db, anchors)
    _write_entries(db, 2)
    _anchor(db, anchors)
    assert [a.entry_id for a in read_anchors(anchors)] == [3, 5]
    assert _check(db, anchors) == "intact"


def test_an_empty_trail_has_no_head(db: Database) -> None:
    with db.read() as session:
        assert take_anchor(session) is None


def test_a_trail_cut_back_is_caught_though_the_chain_verifies(db: Database, tmp_path: Path) -> None:
    anchors = tmp_path / "anchors.jsonl"
    _write_entries(db, 5)
    _anchor(db, anchors)
    _drop_protection(db)
    with db.write() as session:
        session.execute(text("DELETE FROM audit_log WHERE id >= 4"))
    assert _verify(db).intact  # what the chain alone cannot see
    assert "missing" in _check(db, anchors)


def test_a_replaced_tail_is_caught(db: Database, tmp_path: Path) -> None:
    anchors = tmp_path / "anchors.jsonl"
    _write_entries(db, 3)
    _anchor(db, anchors)
    _drop_protection(db)
    with db.write() as session:
        session.execute(text("DELETE FROM audit_log WHERE id = 3"))
    _write_entries(db, 2)  # a new tail that links correctly
    assert _verify(db).intact
    assert _check(db, anchors) != "intact"  # id 3 reused with another hash, or gone


def test_a_malformed_anchor_file_names_the_line(tmp_path: Path) -> None:
    anchors = tmp_path / "anchors.jsonl"
    anchors.write_text('{"entry_id": 1, "hash": "ab", "taken_at": "2026-11-28T00:00:00"}\nnope\n')
    with pytest.raises(AnchorFileError, match=r"anchors\.jsonl:2"):
        read_anchors(anchors)


def test_cli_anchors_and_verifies_against_them(
    db: Database, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WARROOM_DATABASE_URL", db_url)
    monkeypatch.setenv("WARROOM_SECRET_KEY", TEST_SECRET)
    anchors = tmp_path / "offsite" / "anchors.jsonl"
    runner = CliRunner()
    _write_entries(db, 4)
    taken = runner.invoke(cli, ["audit", "anchor", "--file", str(anchors)])
    assert taken.exit_code == 0 and "anchored entry 4" in taken.output
    intact = runner.invoke(cli, ["audit", "verify", "--anchors", str(anchors)])
    assert intact.exit_code == 0 and "1 anchors hold" in intact.output
    _drop_protection(db)
    with db.write() as session:
        session.execute(text("DELETE FROM audit_log WHERE id = 4"))
    cut = runner.invoke(cli, ["audit", "verify", "--anchors", str(anchors)])
    assert cut.exit_code == 1 and "anchor of entry 4" in cut.output


def test_cli_explains_missing_and_broken_anchor_files(
    db: Database, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WARROOM_DATABASE_URL", db_url)
    monkeypatch.setenv("WARROOM_SECRET_KEY", TEST_SECRET)
    runner = CliRunner()
    no_target = runner.invoke(cli, ["audit", "anchor"])
    assert no_target.exit_code == 2 and "WARROOM_AUDIT_ANCHOR_FILE" in no_target.output
    missing = runner.invoke(cli, ["audit", "verify", "--anchors", str(tmp_path / "none")])
    assert missing.exit_code == 2 and "cannot read anchor file" in missing.output


def test_the_app_anchors_its_changes(db_url: str, tmp_path: Path) -> None:
    anchors = tmp_path / "anchors.jsonl"
    settings = make_settings(db_url, tmp_path, audit_anchor_file=anchors)
    with TestClient(create_app(settings)) as client:
        _write_entries(client.app.state.db, 2)  # type: ignore[attr-defined]
    written = read_anchors(anchors)  # at least the one taken at shutdown
    assert written and written[-1].entry_id >= 2
    database = Database(db_url)
    try:
        assert _check(database, anchors) == "intact"
    finally:
        database.dispose()
