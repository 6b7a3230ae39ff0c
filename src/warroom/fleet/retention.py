"""Position retention: delete fixes older than `retention_days`, in chunks so one purge
never holds the write lock for long."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import delete, select
from starlette.concurrency import run_in_threadpool

from warroom.core.clock import utcnow
from warroom.core.db import Database
from warroom.fleet.config import FleetConfig
from warroom.fleet.models import Position

log = logging.getLogger("warroom.fleet.retention")
CHUNK = 10_000


def purge_positions(db: Database, *, older_than_days: float) -> int:
    """Delete positions with a fix time older than the cutoff; returns how many."""
    cutoff = utcnow() - timedelta(days=older_than_days)
    total = 0
    while True:
        with db.write() as session:
            ids = list(
                session.scalars(select(Position.id).where(Position.time < cutoff).limit(CHUNK))
            )
            if ids:
                session.execute(delete(Position).where(Position.id.in_(ids)))
        total += len(ids)
        if len(ids) < CHUNK:
            return total


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
