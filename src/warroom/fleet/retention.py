"""Position retention: delete fixes older than `retention_days`, in chunks so one purge
never holds the write lock for long.

Each run is audited (rows deleted, cutoff) in the transaction of its last chunk, so the
entry commits with the deletion it reports. The chunks before it are already committed: if
the run fails part way, an entry for what was deleted so far is written before the error
goes on, so no committed deletion goes unaudited unless the database itself is gone.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from warroom.core import audit
from warroom.core.audit import SYSTEM, Actor
from warroom.core.clock import utcnow
from warroom.core.db import Database
from warroom.fleet.config import FleetConfig
from warroom.fleet.models import Position

log = logging.getLogger("warroom.fleet.retention")
CHUNK = 10_000


def purge_positions(db: Database, *, older_than_days: float, actor: Actor = SYSTEM) -> int:
    """Delete positions with a fix time older than the cutoff; returns how many."""
    cutoff = utcnow() - timedelta(days=older_than_days)
    purged = 0  # committed so far
    try:
        while True:
            with db.write() as session:
                deleted = _delete_chunk(session, cutoff)
                finished = deleted < CHUNK
                if finished:
                    _audit(session, actor, cutoff, purged + deleted, finished=True)
            purged += deleted
            if finished:
                return purged
    except Exception:
        if purged:
            _audit_interrupted(db, actor, cutoff, purged)
        raise


def _delete_chunk(session: Session, cutoff: datetime) -> int:
    ids = list(session.scalars(select(Position.id).where(Position.time < cutoff).limit(CHUNK)))
    if ids:
        session.execute(delete(Position).where(Position.id.in_(ids)))
    return len(ids)


def _audit(
    session: Session, actor: Actor, cutoff: datetime, deleted: int, *, finished: bool
) -> None:
    audit.record(
        session,
        actor=actor,
        action="fleet.positions_purged",
        target_type="fleet_positions",
        target_id="all",
        detail={"deleted": deleted, "cutoff": cutoff.isoformat(), "finished": finished},
    )


def _audit_interrupted(db: Database, actor: Actor, cutoff: datetime, purged: int) -> None:
    try:
        with db.write() as session:
            _audit(session, actor, cutoff, purged, finished=False)
    except Exception:  # the purge's own error is the one to raise; this one is only logged
        log.exception("the interrupted purge could not be audited", extra={"count": purged})


async def purge_loop(db: Database, config: FleetConfig) -> None:
    if not config.retention_days:
        return
    while True:
        try:
            purged = await run_in_threadpool(
                purge_positions, db, older_than_days=config.retention_days
            )
            if purged:
                log.info("purged old positions", extra={"count": purged})
        except Exception:
            log.exception("position purge failed; retrying next interval")
        await asyncio.sleep(config.purge_interval_hours * 3600)
