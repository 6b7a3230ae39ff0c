"""The audit trail is append-only and its hash chain exposes tampering."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from typer.testing import CliRunner

from warroom.cli import app as cli
from warroom.core import audit
from warroom.core.clock import utcnow
from warroom.core.db import Database

ACTOR = audit.Actor("user:siti", "10.0.0.7")


def _write_entries(db: Database, count: int) -> None:
    for n in range(count):
        with db.write() as session:
            audit.record(
                session,
                actor=ACTOR,
                action="thing.changed",
                target_type="thing",
                target_id=n,
                detail={"n": n, "note": "ruas jalan ditutup"},
            )


def test_entries_link_into_an_intact_chain(db: Database) -> None:
    _write_entries(db, 5)
    with db.read() as session:
        report = audit.verify_chain(session)
    assert report.intact and report.checked == 5


def test_an_entry_flushes_pending_changes_and_carries_its_id(db: Database) -> None:
    from sqlalchemy import select

    from warroom.core.outbox import OutboxMessage

    with db.write() as session:
        pending = OutboxMessage(topic="test.thing_changed", payload="{}", created_at=utcnow())
        session.add(pending)
        entry = audit.record(
            session, actor=ACTOR, action="thing.changed", target_type="thing", target_id=1
        )
        assert pending.id is not None, "the change reaches the database with its entry"
    with db.read() as session:
        stored = session.scalar(select(audit.AuditEntry).where(audit.AuditEntry.id == entry.id))
    assert stored is not None and stored.hash == entry.hash
    assert stored.prev_hash == audit.GENESIS_HASH


def test_database_refuses_update_and_delete(db: Database) -> None:
    _write_entries(db, 1)
    for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError, match="append-only"), db.write() as session:
            session.execute(text(statement))


def _drop_protection(db: Database) -> None:
    """What an attacker with database rights would do first."""
    with db.write() as session:
        if db.is_sqlite:
            session.execute(text("DROP TRIGGER audit_log_no_update"))
            session.execute(text("DROP TRIGGER audit_log_no_delete"))
        else:
            session.execute(text("DROP TRIGGER audit_log_append_only ON audit_log"))


def _verify(db: Database) -> audit.ChainReport:
    with db.read() as session:
        return audit.verify_chain(session)


def test_edited_entry_is_reported(db: Database) -> None:
    _write_entries(db, 6)
    _drop_protection(db)
    with db.write() as session:
        session.execute(text("UPDATE audit_log SET actor = 'user:nobody' WHERE id = 4"))
    report = _verify(db)
    assert report.first_bad_id == 4 and report.checked == 3
    assert "hash" in report.reason


def test_deleted_entry_is_reported(db: Database) -> None:
    _write_entries(db, 6)
    _drop_protection(db)
    with db.write() as session:
        session.execute(text("DELETE FROM audit_log WHERE id = 3"))
    report = _verify(db)
    assert report.first_bad_id == 4
    assert "link" in report.reason


def test_cli_verify_names_the_first_tampered_entry(
    db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WARROOM_DATABASE_URL", db_url)
    monkeypatch.setenv("WARROOM_SECRET_KEY", "test-secret-key-0123456789")
    _write_entries(db, 3)
    runner = CliRunner()
    intact = runner.invoke(cli, ["audit", "verify"])
    assert intact.exit_code == 0 and "3 entries verified" in intact.output
    _drop_protection(db)
    with db.write() as session:
        session.execute(text("UPDATE audit_log SET detail = '{\"n\": 99}' WHERE id = 2"))
    tampered = runner.invoke(cli, ["audit", "verify"])
    assert tampered.exit_code == 1
    assert "entry 2" in tampered.output


def test_audit_api_lists_and_verifies(client: object, app_db: Database) -> None:
    from tests.conftest import bearer, create_account
    from warroom.core.security.permissions import Role

    _write_entries(app_db, 3)
    auditor = bearer(client, create_account(app_db, Role.ANALYST))  # type: ignore[arg-type]
    operator = bearer(client, create_account(app_db, Role.OPERATOR))  # type: ignore[arg-type]
    entries = client.get("/api/audit?action=thing.changed&limit=2", headers=auditor)  # type: ignore[attr-defined]
    assert [e["target_id"] for e in entries.json()] == ["2", "1"]
    page = client.get(
        f"/api/audit?action=thing.changed&before_id={entries.json()[-1]['id']}",  # type: ignore[attr-defined]
        headers=auditor,
    )
    assert [e["target_id"] for e in page.json()] == ["0"]
    check = client.get("/api/audit/verify", headers=auditor).json()  # type: ignore[attr-defined]
    assert check["intact"] is True and check["checked"] >= 3
    assert client.get("/api/audit", headers=operator).status_code == 403  # type: ignore[attr-defined]
