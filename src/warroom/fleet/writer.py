"""Group commit: one writer collects the positions of every connection and commits them
together, then resolves each connection's future; only then do listeners acknowledge.

A batch closes after `batch_max_ms` from its first job or at `batch_max_rows` fixes. Two
threads work on consecutive batches like a two-stage assembly line, so the event loop never
waits on the disk and there is exactly one writer (SQLite allows no more):

- the tracker thread takes the next batch the moment it is due, runs the tracker (live state
  and events) and encodes the rows: Python work that holds the interpreter lock;
- the commit thread stores what the tracker thread prepared, in one transaction with the
  events the fixes caused; that is mostly the driver's C code, which releases the lock, so
  batch N commits while batch N+1 is tracked.

The tracker thread owns the tracker state; it prepares at most one batch ahead of the commit.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.concurrency import run_in_threadpool

from warroom.core.clock import utcnow
from warroom.core.db import Database
from warroom.fleet import events, store
from warroom.fleet.config import FleetConfig
from warroom.fleet.directory import DeviceDirectory, DeviceInfo
from warroom.fleet.fences import load_fences
from warroom.fleet.filters import RECENT_TIMES
from warroom.fleet.protocols import AlarmRecord, PositionRecord, Record
from warroom.fleet.tracker import Outcome, Tracker

log = logging.getLogger("warroom.fleet.writer")
STORED = Counter("warroom_fleet_positions_stored_total", "Positions committed")
DROPPED = Counter("warroom_fleet_positions_dropped_total", "Positions filtered out", ["reason"])
COMMIT_SECONDS = Histogram("warroom_fleet_commit_seconds", "Duration of one group commit")
STATE_FLUSH_SECONDS = 2.0
OFFLINE_SCAN_SECONDS = 1.0
IDLE_WAKE_SECONDS = 1.0


FIX_RECORDS = (PositionRecord, AlarmRecord)


@dataclass
class Job:
    info: DeviceInfo
    records: tuple[Record, ...]
    received_at: datetime
    done: asyncio.Future[None] | None = None
    fixes: int = field(init=False)  # counted once: the batch size and the caller need it

    def __post_init__(self) -> None:
        self.fixes = sum(isinstance(record, FIX_RECORDS) for record in self.records)


@dataclass
class UnknownJob:
    unique_id: str
    protocol: str
    remote: str
    received_at: datetime


@dataclass
class _Batch:
    jobs: list[Job | UnknownJob] = field(default_factory=list)
    fixes: int = 0
    opened: float = 0.0  # monotonic time of its first job


@dataclass
class _Call:
    """A function to run in the tracker thread, and the future (on the loop) for its result
    (None: the writer's own housekeeping, whose failure is only logged)."""

    function: Callable[[], Any]
    done: asyncio.Future[Any] | None = None


LiveSink = Callable[[dict[int, dict[str, Any]]], None]


@dataclass
class _Prepared:
    """A batch after the tracker thread: what the commit thread stores, and what it hands
    back to the loop once that is durable."""

    jobs: list[Job | UnknownJob]
    out: Outcome
    rows: store.EncodedPositions
    states: list[dict[str, Any]]
    unknown: list[UnknownJob]

    @property
    def empty(self) -> bool:
        """Nothing to write."""
        return not (self.rows or self.out.events or self.states or self.unknown)

    @property
    def idle(self) -> bool:
        """Nothing to write, nobody waiting and nothing for the map: a quiet wake-up's."""
        return self.empty and not self.jobs and not self.out.live


class GroupCommitWriter:
    """The listeners (event loop) queue jobs; the tracker thread takes a batch as soon as it
    is due and prepares it, the commit thread writes it and hands the outcome back to the
    loop, which only then resolves the jobs' futures (the acks). Neither thread waits for a
    round trip through the event loop, so a busy loop never holds up the disk."""

    def __init__(
        self, db: Database, tracker: Tracker, config: FleetConfig, on_commit: LiveSink
    ) -> None:
        self._db, self._tracker, self._config = db, tracker, config
        self._on_commit = on_commit
        self._max_wait = config.batch_max_ms / 1000
        self._queue = threading.Condition()  # guards `_batch`, `_calls`, `_stopping`
        self._batch = _Batch()
        self._calls: list[_Call] = []
        self._stopping = False
        # One prepared batch waits for the commit thread at most (None: the slot is free).
        self._handover = threading.Condition()
        self._prepared: _Prepared | None = None
        self._threads: list[threading.Thread] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_scan = self._last_state_flush = time.monotonic()
        self.committed_events = 0

    @property
    def running(self) -> bool:
        return bool(self._threads)

    @property
    def tracker(self) -> Tracker:
        """The live state; only the tracker thread may touch it while the writer runs."""
        return self._tracker

    async def prepare(self, directory: DeviceDirectory) -> None:
        """Before start: the geofences, and each device's state as last saved."""
        await self.reload_fences()
        await run_in_threadpool(self._restore, directory)

    def _restore(self, directory: DeviceDirectory) -> None:
        states = store.load_states(self._db)
        devices = {info.id: info for info in directory.all()}
        for info in devices.values():
            row = states.get(info.id)
            if row is not None:
                self._tracker.restore(info, row)
        latest = store.load_latest_fix_times(self._db, RECENT_TIMES * max(len(devices), 1))
        self._tracker.remember_stored(devices, latest)

    async def reload_fences(self) -> None:
        fences = await run_in_threadpool(load_fences, self._db)

        def swap() -> None:
            self._tracker.fences = fences

        if self.running:  # the tracker belongs to the tracker thread
            await self.run_in_writer(swap)
        else:
            swap()

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._threads = [
            threading.Thread(target=self._track, name="fleet-tracker", daemon=True),
            threading.Thread(target=self._store, name="fleet-writer", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    async def stop(self) -> None:
        """Commit what is queued, save the device states, then stop."""
        if not self._threads:
            return
        with self._queue:
            self._stopping = True
            self._queue.notify()
        loop = asyncio.get_running_loop()
        for thread in self._threads:
            await loop.run_in_executor(None, thread.join)
        self._threads = []

    def submit(self, job: Job | UnknownJob) -> None:
        with self._queue:
            batch = self._batch
            if not batch.jobs:
                batch.opened = time.monotonic()
                self._queue.notify()  # the thread starts the batch's clock
            batch.jobs.append(job)
            if isinstance(job, Job):
                batch.fixes += job.fixes
                if batch.fixes >= self._config.batch_max_rows:
                    self._queue.notify()

    async def store(self, job: Job) -> None:
        """Queue `job` and return once its fixes are committed (raises if the commit failed)."""
        await self.submit_waiting(job)

    def submit_waiting(self, job: Job) -> asyncio.Future[None]:
        """Queue `job`; the future is done once its fixes are committed (on the loop)."""
        done = job.done = asyncio.get_running_loop().create_future()
        self.submit(job)
        return done

    async def run_in_writer(self, function: Callable[[], Any]) -> Any:
        """Run `function` in the tracker thread (it owns the tracker state)."""
        done = asyncio.get_running_loop().create_future()
        self._call_soon(_Call(function, done))
        return await done

    def _call_soon(self, call: _Call) -> None:
        with self._queue:
            self._calls.append(call)
            self._queue.notify()

    # -- the tracker thread -----------------------------------------------------------------
    def _track(self) -> None:
        while True:
            batch, calls, stopping = self._next()
            for call in calls:
                self._run_call(call)
            try:
                prepared = self._prepare(batch.jobs, flush_all=stopping)
            except Exception as exc:  # a tracker bug must not leave the devices waiting
                log.exception("fleet batch could not be prepared", extra={"jobs": len(batch.jobs)})
                self._to_loop(_settle, batch.jobs, exc)
            else:
                if not prepared.idle:  # in line even without rows: acks follow earlier commits
                    self._hand_over(prepared)
            if stopping:
                self._hand_over(None)  # the commit thread stops after what it holds
                return

    def _next(self) -> tuple[_Batch, list[_Call], bool]:
        """Wait until the batch is due, a call is queued, the writer stops, or a quiet second
        passed (time for the periodic checks); then take what is queued."""
        with self._queue:
            while not (self._calls or self._stopping):
                wait = self._until_due()
                if wait <= 0:
                    break
                if not self._queue.wait(wait) and not self._batch.jobs:
                    break
            batch, self._batch = self._batch, _Batch()
            calls, self._calls = self._calls, []
            return batch, calls, self._stopping

    def _until_due(self) -> float:
        """Seconds until the open batch closes (full, or its first job `batch_max_ms` old);
        a second when nothing is queued."""
        batch = self._batch
        if not batch.jobs:
            return IDLE_WAKE_SECONDS
        if batch.fixes >= self._config.batch_max_rows:
            return 0.0
        return batch.opened + self._max_wait - time.monotonic()

    def _run_call(self, call: _Call) -> None:
        try:
            result = call.function()
        except Exception as exc:
            if call.done is None:
                log.exception("fleet writer housekeeping failed")
            else:
                self._to_loop(_resolve, call.done, None, exc)
            return
        if call.done is not None:
            self._to_loop(_resolve, call.done, result, None)

    def _prepare(self, jobs: list[Job | UnknownJob], *, flush_all: bool) -> _Prepared:
        """Tracker thread: live state and events, the periodic checks, the encoded rows, and
        the map payloads as of this batch (published once it is committed)."""
        out = Outcome()
        for job in jobs:
            if isinstance(job, Job):
                self._tracker.accept(job.info, job.records, job.received_at, out)
        self._tracker.finish(out)
        now = time.monotonic()
        if now - self._last_scan >= OFFLINE_SCAN_SECONDS:
            self._last_scan = now
            self._tracker.offline_scan(utcnow(), out)
        states = []
        if flush_all or now - self._last_state_flush >= STATE_FLUSH_SECONDS:
            self._last_state_flush = now
            states = self._tracker.take_dirty_states()
        out.seal()
        rows = store.encode_positions(out.rows, sqlite=self._db.is_sqlite)
        unknown = [job for job in jobs if isinstance(job, UnknownJob)]
        return _Prepared(jobs, out, rows, states, unknown)

    def _hand_over(self, prepared: _Prepared | None) -> None:
        """Give the commit thread the next batch (None: stop), once it took the last one."""
        with self._handover:
            while self._prepared is not None:
                self._handover.wait()
            self._prepared = prepared if prepared is not None else _STOP
            self._handover.notify_all()

    def _not_stored(self, prepared: _Prepared) -> None:
        """Tracker thread, after a failed commit: a resend of these fixes must not count as a
        duplicate, and the states must be saved with a later batch."""
        self._tracker.forget(prepared.out.rows)
        self._tracker.dirty.update(state["device_id"] for state in prepared.states)

    # -- the commit thread ------------------------------------------------------------------
    def _store(self) -> None:
        while True:
            with self._handover:
                while self._prepared is None:
                    self._handover.wait()
                prepared, self._prepared = self._prepared, None
                self._handover.notify_all()
            if prepared is _STOP:
                return
            self._commit(prepared)

    def _commit(self, prepared: _Prepared) -> None:
        try:
            self._write(prepared)
        except Exception as exc:
            log.exception("fleet group commit failed", extra={"jobs": len(prepared.jobs)})
            self._call_soon(_Call(lambda: self._not_stored(prepared)))
            self._to_loop(_settle, prepared.jobs, exc)
            return
        if prepared.jobs or prepared.out.live:
            self._to_loop(self._committed, prepared.jobs, prepared.out.live)

    def _to_loop(self, callback: Callable[..., None], *args: Any) -> None:
        assert self._loop is not None
        try:
            self._loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # the loop is closed: nobody waits for the answer any more
            log.warning("fleet writer finished after its event loop closed")

    def _committed(self, jobs: list[Job | UnknownJob], live: dict[int, dict[str, Any]]) -> None:
        """On the loop: the acks may go out, the map gets the new positions."""
        _settle(jobs, None)
        if live:
            self._on_commit(live)

    def _write(self, prepared: _Prepared) -> None:
        """Commit thread: one transaction for the whole batch."""
        if prepared.empty:
            return
        out = prepared.out
        started = time.perf_counter()
        with self._db.write() as session:
            for job in prepared.unknown:
                self._note_unknown(session, job, out)
            store.write_batch(
                session, rows=prepared.rows, events=out.events, states=prepared.states
            )
        COMMIT_SECONDS.observe(time.perf_counter() - started)
        STORED.inc(len(prepared.rows))
        for reason, count in out.dropped.items():
            DROPPED.labels(reason).inc(count)
        self.committed_events += len(out.events)

    @staticmethod
    def _note_unknown(session: Any, job: UnknownJob, out: Outcome) -> None:
        first = store.note_unknown(
            session,
            unique_id=job.unique_id,
            protocol=job.protocol,
            remote=job.remote,
            at=job.received_at,
        )
        if first:
            out.events.append(
                events.UnknownDeviceSeen(
                    unique_id=job.unique_id, protocol=job.protocol, remote=job.remote[:120]
                )
            )


# Handed to the commit thread to make it stop after the batches before it.
_STOP = _Prepared([], Outcome(), store.encode_positions([], sqlite=False), [], [])


def _resolve(done: asyncio.Future[Any], result: Any, error: Exception | None) -> None:
    if done.done():
        return
    if error is None:
        done.set_result(result)
    else:
        done.set_exception(error)


def _settle(jobs: list[Job | UnknownJob], error: Exception | None) -> None:
    for job in jobs:
        done = job.done if isinstance(job, Job) else None
        if done is None or done.done():
            continue
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)
