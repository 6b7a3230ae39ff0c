"""Per-call and per-incident target checks. A missed target raises ``TargetBreached`` once
(the incident remembers which targets it already alerted), on the bus and so on the feed.

Open incidents are checked while they run (``BreachWatch`` every few seconds), so the war room
learns that a P1 is past 15 minutes before the unit arrives, not after.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from warroom.core import outbox
from warroom.core.clock import utcnow
from warroom.core.db import Database
from warroom.emergency.config import EmergencyConfig
from warroom.emergency.events import TargetBreached
from warroom.emergency.lifecycle import OPEN_INCIDENT
from warroom.emergency.models import Call, Incident

log = logging.getLogger("warroom.emergency.breaches")


def check_call(session: Session, *, call: Call, config: EmergencyConfig) -> bool:
    waited = (call.answered_at - call.received_at).total_seconds()
    if waited <= config.answer_target_s:
        return False
    outbox.enqueue(
        session,
        TargetBreached(
            incident_id=call.incident_id,
            call_id=call.id,
            metric="answer",
            priority=None,
            limit_s=config.answer_target_s,
            actual_s=waited,
            occurred_at=call.answered_at,
        ),
    )
    return True


def check_incident(
    session: Session, *, incident: Incident, config: EmergencyConfig, now: datetime
) -> list[str]:
    """Alert every target this incident has missed so far; returns the new breaches."""
    target = config.targets.get(incident.priority)
    if target is None:
        return []
    dispatch_end = incident.dispatched_at or now
    arrival_end = incident.arrived_at or now
    checks = [
        ("call_to_dispatch", target.call_to_dispatch_p90_s, dispatch_end),
        ("response", target.response_p90_s, arrival_end),
    ]
    new = []
    for name, limit, end in checks:
        actual = (end - incident.first_call_at).total_seconds()
        if limit is None or actual <= limit or name in incident.breaches:
            continue
        new.append(name)
        outbox.enqueue(
            session,
            TargetBreached(
                incident_id=incident.id,
                call_id=None,
                metric=name,
                priority=incident.priority,
                limit_s=limit,
                actual_s=actual,
                occurred_at=now,
            ),
        )
    if new:
        incident.breaches = [*incident.breaches, *new]
    return new


def check_open_incidents(db: Database, config: EmergencyConfig, now: datetime) -> int:
    with db.write() as session:
        found = 0
        for incident in session.scalars(
            select(Incident).where(Incident.status.in_([s.value for s in OPEN_INCIDENT]))
        ):
            found += len(check_incident(session, incident=incident, config=config, now=now))
        return found


class BreachWatch:
    """Background service: checks open incidents every ``watch_seconds``."""

    def __init__(self, config: EmergencyConfig) -> None:
        self._config = config
        self._task: asyncio.Task[None] | None = None

    async def start(self, app: FastAPI) -> None:
        self._task = asyncio.create_task(self._run(app), name="emergency-breach-watch")

    async def stop(self, app: FastAPI) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self, app: FastAPI) -> None:
        while True:
            try:
                found = await run_in_threadpool(
                    check_open_incidents, app.state.db, self._config, utcnow()
                )
                if found:
                    app.state.outbox_relay.notify()
            except Exception:  # the next round checks again
                log.exception("checking response targets failed")
            await asyncio.sleep(self._config.watch_seconds)
