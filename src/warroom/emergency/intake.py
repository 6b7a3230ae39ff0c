"""Group commit of new incidents from the API (issue 5: 200 a second, p99 under 50 ms).

Each create used to take a thread-pool worker of its own. Under load dozens of workers queued
on the SQLite write lock while fighting the event loop for the GIL, and requests waited
hundreds of milliseconds with the CPU half idle. Now the request stays on the event loop and
hands its create to one writer thread, which takes every create waiting at that moment and
commits them in one transaction. A request is answered only after its transaction committed,
so nothing acknowledged is lost; a create that is still queued at shutdown is written first.

A bad request (unknown type, address not found) fails in the read-only preparing step and
leaves the batch alone. Should the batch's transaction fail anyway, each of its creates is
retried in a transaction of its own, so one create cannot take the others down with it.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from warroom.core import audit
from warroom.core.db import Database
from warroom.core.errors import DomainError
from warroom.emergency.models import Incident
from warroom.emergency.opening import insert_prepared, prepare_incident
from warroom.emergency.schemas import IncidentCreate, IncidentRead

log = logging.getLogger("warroom.emergency.intake")

MAX_BATCH = 64  # bounds one transaction's lock hold (well under 100 ms) and its redo on failure


class IntakeClosedError(DomainError):
    """The app is shutting down; the create was not accepted (nothing was written)."""

    status_code = 503


@dataclass(frozen=True)
class NewIncident:
    """One create as the API received it."""

    data: IncidentCreate
    actor: audit.Actor


Outcome = IncidentRead | Exception


def commit_batch(db: Database, batch: list[NewIncident]) -> list[Outcome]:
    """Open the incidents of ``batch`` in one transaction; one outcome each, in order.

    A create that its preparing step refuses gets its DomainError and is left out. If the
    transaction fails, each create is retried alone and the one at fault gets the error.
    """
    try:
        written = _write(db, batch)
    except Exception as exc:  # nothing of the batch was committed
        if len(batch) == 1:
            return [exc]
        log.warning("a batch of new incidents failed; retrying one by one", exc_info=exc)
        return [commit_batch(db, [one])[0] for one in batch]
    # Outside the try: after the commit, an error must never lead to writing them again.
    return [
        outcome if isinstance(outcome, DomainError) else IncidentRead.model_validate(outcome)
        for outcome in written
    ]


def _write(db: Database, batch: list[NewIncident]) -> list[Incident | DomainError]:
    prepared = _prepare(db, batch)
    outcomes: list[Incident | DomainError] = []
    if not any(isinstance(values, dict) for values in prepared):
        return [values for values in prepared if isinstance(values, DomainError)]
    with db.write() as session:
        for one, values in zip(batch, prepared, strict=True):
            if isinstance(values, DomainError):
                outcomes.append(values)
            else:
                outcomes.append(insert_prepared(session, values=values, actor=one.actor))
    return outcomes


def _prepare(db: Database, batch: list[NewIncident]) -> list[dict[str, Any] | DomainError]:
    """Check and locate each create (reads only, outside the write lock)."""
    prepared: list[dict[str, Any] | DomainError] = []
    with db.read() as session:
        for one in batch:
            try:
                prepared.append(prepare_incident(session, data=one.data, actor=one.actor))
            except DomainError as exc:
                prepared.append(exc)
    return prepared


@dataclass(frozen=True)
class _Pending:
    create: NewIncident
    future: asyncio.Future[IncidentRead]
    loop: asyncio.AbstractEventLoop

    def settle(self, outcome: Outcome) -> None:
        """Hand the outcome to the waiting request (called from the writer thread)."""
        self.loop.call_soon_threadsafe(_settle, self.future, outcome)


def _settle(future: asyncio.Future[IncidentRead], outcome: Outcome) -> None:
    if future.done():  # the client went away; the incident stays created
        return
    if isinstance(outcome, Exception):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


class IncidentIntake:
    """Background service: the one writer thread of new incidents in this process."""

    def __init__(self, db: Database, *, max_batch: int = MAX_BATCH) -> None:
        self._db, self._max_batch = db, max_batch
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    async def start(self, app: FastAPI) -> None:
        self._thread = threading.Thread(target=self._run, name="incident-intake", daemon=True)
        self._thread.start()
        app.state.incident_intake = self

    async def stop(self, app: FastAPI) -> None:
        """Write what is queued, then end the thread."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            await asyncio.to_thread(thread.join)

    async def create(self, data: IncidentCreate, actor: audit.Actor) -> IncidentRead:
        """Open an incident; returns once it is committed (raises what opening it raised)."""
        # create() and stop() both run on the event loop, so no create can slip in behind
        # the stop marker once this check has passed.
        if self._thread is None:
            raise IntakeClosedError("the server is shutting down; try again")
        loop = asyncio.get_running_loop()
        pending = _Pending(NewIncident(data, actor), loop.create_future(), loop)
        self._queue.put(pending)
        return await pending.future

    def _run(self) -> None:
        while True:
            batch, stopping = self._next_batch()
            if batch:
                try:
                    outcomes = commit_batch(self._db, [pending.create for pending in batch])
                except Exception as exc:  # answer (500) rather than leave the requests hanging
                    log.exception("new incidents could not be answered")
                    outcomes = [exc] * len(batch)
                for pending, outcome in zip(batch, outcomes, strict=True):
                    pending.settle(outcome)
            if stopping:
                return

    def _next_batch(self) -> tuple[list[_Pending], bool]:
        """Wait for a create, then take every one already waiting (up to the limit)."""
        batch: list[_Pending] = []
        item = self._queue.get()
        while item is not None:
            batch.append(item)
            if len(batch) >= self._max_batch:
                return batch, False
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return batch, False
        return batch, True
