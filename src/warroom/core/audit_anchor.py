"""Anchors: the audit chain's head written outside the database, so that deleting or rewriting
the newest entries is caught.

The hash chain proves every entry against the one before it, but someone with database rights
can delete the last entries (or replace them with a new, self-consistent tail) and the chain
still verifies. An anchor, a line ``{"entry_id", "hash", "taken_at"}`` appended to a file on
other storage (or shipped off the machine), pins the head as it was: ``warroom audit verify
--anchors FILE`` checks that every anchored entry still exists with the same hash.

The app appends an anchor every ``audit_anchor_minutes`` when ``audit_anchor_file`` is set;
``warroom audit anchor`` takes one on demand (say, before a shift hand-over).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.core.audit import AuditEntry
from warroom.core.clock import utcnow
from warroom.core.db import Database

log = logging.getLogger("warroom.audit")


class AnchorFileError(ValueError):
    """The anchor file cannot be read as anchors; the message names the line."""


@dataclass(frozen=True)
class Anchor:
    entry_id: int
    hash: str
    taken_at: datetime

    def to_line(self) -> str:
        body = {"entry_id": self.entry_id, "hash": self.hash, "taken_at": self.taken_at.isoformat()}
        return json.dumps(body, separators=(",", ":")) + "\n"


@dataclass(frozen=True)
class AnchorReport:
    checked: int
    broken: Anchor | None
    reason: str

    @property
    def intact(self) -> bool:
        return self.broken is None


def take_anchor(session: Session) -> Anchor | None:
    """The current head of the chain, or None while the trail is empty."""
    head = session.execute(
        select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    return None if head is None else Anchor(head.id, head.hash, utcnow())


def append_anchor(path: Path, anchor: Anchor) -> None:
    """Append one line and flush it to disk: an anchor that a crash can lose is no anchor."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as file:
        file.write(anchor.to_line())
        file.flush()
        os.fsync(file.fileno())


def read_anchors(path: Path) -> list[Anchor]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise AnchorFileError(f"cannot read anchor file {path}: {error.strerror}") from None
    return [_parse(line, number, path) for number, line in enumerate(lines, 1) if line.strip()]


def _parse(line: str, number: int, path: Path) -> Anchor:
    try:
        body = json.loads(line)
        return Anchor(
            int(body["entry_id"]), str(body["hash"]), datetime.fromisoformat(body["taken_at"])
        )
    except (ValueError, KeyError, TypeError) as error:
        raise AnchorFileError(f"{path}:{number}: not an anchor line ({error})") from None


def check_anchors(session: Session, anchors: list[Anchor]) -> AnchorReport:
    """The first anchor whose entry is gone or no longer has the anchored hash."""
    wanted = {anchor.entry_id for anchor in anchors}
    rows = session.execute(select(AuditEntry.id, AuditEntry.hash).where(AuditEntry.id.in_(wanted)))
    found = {row.id: row.hash for row in rows}
    for checked, anchor in enumerate(anchors):
        stored = found.get(anchor.entry_id)
        if stored is None:
            return AnchorReport(checked, anchor, "the anchored entry is missing (trail cut back)")
        if stored != anchor.hash:
            return AnchorReport(checked, anchor, "the anchored entry has a different hash")
    return AnchorReport(len(anchors), None, "intact")


class AnchorWriter:
    """Appends an anchor every ``interval_s`` while the app runs, and once more at shutdown."""

    def __init__(self, db: Database, path: Path, *, interval_s: float) -> None:
        self._db, self._path, self._interval_s = db, path, interval_s
        self._task: asyncio.Task[None] | None = None
        self._last_id: int | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="audit-anchor")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        try:
            await asyncio.to_thread(self.write_once)
        except OSError as error:
            log.error("cannot write audit anchor at shutdown", extra={"error": str(error)})

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.write_once)
            except OSError as error:  # say so loudly, keep the app serving
                log.error("cannot write audit anchor", extra={"error": str(error)})
            await asyncio.sleep(self._interval_s)

    def write_once(self) -> None:
        """Append an anchor when the head moved since the last one (no line per idle tick)."""
        with self._db.read() as session:
            anchor = take_anchor(session)
        if anchor is not None and anchor.entry_id != self._last_id:
            append_anchor(self._path, anchor)
            self._last_id = anchor.entry_id
