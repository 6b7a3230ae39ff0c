"""Append-only, hash-chained audit trail of every change: who, what, when, from where.

Each entry stores the hash of the previous entry and its own hash over its content, so editing,
deleting or reordering any entry breaks the chain from that point; ``verify_chain`` finds the
first broken entry. The database also refuses UPDATE and DELETE on the table (triggers created by
the migration), so tampering needs someone who can drop triggers: exactly what the chain catches.
Writers are serialised (PostgreSQL advisory lock; SQLite's single writer) so the chain never forks.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import JSON, BigInteger, Integer, String, Table, insert, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from warroom.core.clock import utcnow
from warroom.core.db import Base, UtcDateTime

GENESIS_HASH = "0" * 64
_PG_AUDIT_LOCK = 7_112_112  # arbitrary, fixed advisory lock key for the audit chain


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(120))  # "user:siti", "device:7", "system", "cli"
    action: Mapped[str] = mapped_column(String(80), index=True)  # "user.created"
    target_type: Mapped[str] = mapped_column(String(60))
    target_id: Mapped[str] = mapped_column(String(120))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(120))  # client address or "cli"
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64))


@dataclass(frozen=True)
class Actor:
    label: str  # what the trail shows: "user:siti", "cli", "system"
    source: str  # where from: a client address, "cli" or "system"


SYSTEM = Actor("system", "system")
_TABLE = cast(Table, AuditEntry.__table__)


def _canonical(entry: AuditEntry) -> bytes:
    body = {
        "at": entry.at.isoformat(timespec="microseconds"),
        "actor": entry.actor,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "detail": entry.detail,
        "source": entry.source,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(_canonical(entry)).hexdigest()


_HEAD = select(_TABLE.c.hash).order_by(_TABLE.c.id.desc()).limit(1)
_STORED = tuple(column.key for column in _TABLE.columns if column.key != "id")


def _chain_head(session: Session) -> str:
    """The newest entry's hash. The caller's transaction holds the chain for the rest of its
    life (the advisory lock on PostgreSQL, the write lock on SQLite), so no other writer can
    append between this read and the insert."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK})
    last = connection.execute(_HEAD).scalar()
    return last or GENESIS_HASH


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: str | int,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry in the caller's transaction: the change and its audit commit together.

    Pending ORM changes are flushed first, so they reach the database with their entry. The
    entry itself goes in with one Core INSERT (a third of the CPU of an ORM flush, paid on
    every audited change); the returned object carries its id but is not in the session.
    Never put secrets in ``detail``; it is readable by auditors.
    """
    session.flush()
    entry = AuditEntry(
        at=utcnow(),
        actor=actor.label,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        detail=json.loads(json.dumps(detail or {}, default=str)),
        source=actor.source,
        prev_hash=_chain_head(session),
    )
    entry.hash = entry_hash(entry)
    values = {name: getattr(entry, name) for name in _STORED}
    entry.id = session.execute(insert(_TABLE).returning(_TABLE.c.id), values).scalar_one()
    return entry


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_bad_id: int | None
    reason: str

    @property
    def intact(self) -> bool:
        return self.first_bad_id is None


def verify_chain(session: Session, *, batch: int = 5000) -> ChainReport:
    """Walk the whole trail in id order; report the first entry whose link or hash is wrong."""
    expected_prev, checked, after_id = GENESIS_HASH, 0, 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.id > after_id).order_by(AuditEntry.id).limit(batch)
        ).all()
        if not rows:
            return ChainReport(checked, None, "intact")
        for entry in rows:
            if entry.prev_hash != expected_prev:
                return ChainReport(checked, entry.id, "link to the previous entry is broken")
            if entry_hash(entry) != entry.hash:
                return ChainReport(checked, entry.id, "content does not match its hash")
            expected_prev, checked, after_id = entry.hash, checked + 1, entry.id
        session.expunge_all()
