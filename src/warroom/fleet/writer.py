"""Group commit: one writer collects the positions of every connection and commits them
together, then resolves each connection's future; only then do listeners acknowledge.

A batch closes after `batch_max_ms` from its first job or at `batch_max_rows` fixes. The
commit runs in one dedicated thread while the next batch fills, so the event loop never waits
on the disk and there is exactly one writer (SQLite allows no more); the thread takes the next
batch itself, under a lock, the moment it is due. The tracker (live state
and events) runs in that thread too, before the commit, so events are stored in the same
transaction as the positions that caused them.
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
    """A function to run in the writer thread, and the future (on the loop) for its result."""

    function: Callable[[], Any]
    done: asyncio.Future[Any]


LiveSink = Callable[[dict[int, dict[str, Any]]], None]


class GroupCommitWriter:
    """The listeners (event loop) queue jobs; one writer thread takes a batch as soon as it
    is due, writes it, and hands the outcome back to the loop, which only then resolves the
    jobs' futures (the acks). The thread starts the next batch right after a commit without
    a round trip through the event loop, so a busy loop never holds up the disk."""

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
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_scan = self._last_state_flush = time.monotonic()
        self.committed_events = 0

    @property
    def running(self) -> bool:
        return self._thread is not None

    @property
    def tracker(self) -> Tracker:
        """The live state; only the writer thread may touch it while the writer runs."""
        return self._tracker

    async def prepare(self, directory: DeviceDirectory) -> None:
        """Before start: the geofences, and each device's state as last saved."""
        await self.reload_fences()
        await run_in_threadpool(self._restore, directory)

    def _restore(self, directory: DeviceDirectory) -> None:
        states = store.load_states(self._db)
        for info in directory.all():
            row = states.get(info.id)
            if row is not None:
                self._tracker.restore(info, row)

    async def reload_fences(self) -> None:
        fences = await run_in_threadpool(load_fences, self._db)

        def swap() -> None:
            self._tracker.fences = fences

        if self.running:  # the tracker belongs to the writer thread
            await self.run_in_writer(swap)
        else:
            swap()

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._work, name="fleet-writer", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        """Commit what is queued, save the device states, then stop."""
        thread = self._thread
        if thread is None:
            return
        with self._queue:
            self._stopping = True
            self._queue.notify()
        await asyncio.get_running_loop().run_in_executor(None, thread.join)
        self._thread = None

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
        job.done = asyncio.get_running_loop().create_future()
        self.submit(job)
        await job.done

    async def run_in_writer(self, function: Callable[[], Any]) -> Any:
        """Run `function` in the writer thread (it owns the tracker state)."""
        call = _Call(function, asyncio.get_running_loop().create_future())
        with self._queue:
            self._calls.append(call)
            self._queue.notify()
        return await call.done

    # -- the writer thread ------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            batch, calls, stopping = self._next()
            for call in calls:
                self._run_call(call)
            self._commit(batch)
            if stopping:
                try:
                    self._flush_states()
                except Exception:
                    log.exception("saving the device states at stop failed")
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
            self._to_loop(_resolve, call.done, None, exc)
            return
        self._to_loop(_resolve, call.done, result, None)

    def _commit(self, batch: _Batch) -> None:
        try:
            outcome = self._write(batch.jobs)
        except Exception as exc:
            log.exception("fleet group commit failed", extra={"jobs": len(batch.jobs)})
            self._to_loop(_settle, batch.jobs, exc)
            return
        if batch.jobs or outcome.live:
            self._to_loop(self._committed, batch.jobs, outcome.live)

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

    def _write(self, jobs: list[Job | UnknownJob]) -> Outcome:
        """Writer thread: tracker, then one transaction for the whole batch."""
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
        if now - self._last_state_flush >= STATE_FLUSH_SECONDS:
            self._last_state_flush = now
            states = self._tracker.take_dirty_states()
        unknown = [job for job in jobs if isinstance(job, UnknownJob)]
        if not (out.rows or out.events or states or unknown):
            return out
        started = time.perf_counter()
        try:
            with self._db.write() as session:
                for job in unknown:
                    self._note_unknown(session, job, out)
                store.write_batch(session, rows=out.rows, events=out.events, states=states)
        except Exception:
            self._tracker.forget(out.rows)
            self._tracker.dirty.update(state["device_id"] for state in states)
            raise
        out.seal()
        COMMIT_SECONDS.observe(time.perf_counter() - started)
        STORED.inc(len(out.rows))
        for reason, count in out.dropped.items():
            DROPPED.labels(reason).inc(count)
        self.committed_events += len(out.events)
        return out

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

    def _flush_states(self) -> None:
        states = self._tracker.take_dirty_states()
        if states:
            with self._db.write() as session:
                store.write_batch(session, rows=[], events=[], states=states)


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
