"""Group commit: one writer collects the positions of every connection and commits them
together, then resolves each connection's future; only then do listeners acknowledge.

A batch closes after `batch_max_ms` from its first job or at `batch_max_rows` fixes. The
commit runs in one dedicated thread while the next batch fills, so the event loop never waits
on the disk and there is exactly one writer (SQLite allows no more). The tracker (live state
and events) runs in that thread too, before the commit, so events are stored in the same
transaction as the positions that caused them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from prometheus_client import Counter, Histogram

from warroom.core.clock import utcnow
from warroom.core.db import Database
from warroom.fleet import events, store
from warroom.fleet.config import FleetConfig
from warroom.fleet.directory import DeviceInfo
from warroom.fleet.protocols import AlarmRecord, PositionRecord, Record
from warroom.fleet.tracker import Outcome, Tracker

log = logging.getLogger("warroom.fleet.writer")
STORED = Counter("warroom_fleet_positions_stored_total", "Positions committed")
DROPPED = Counter("warroom_fleet_positions_dropped_total", "Positions filtered out", ["reason"])
COMMIT_SECONDS = Histogram("warroom_fleet_commit_seconds", "Duration of one group commit")
STATE_FLUSH_SECONDS = 2.0
OFFLINE_SCAN_SECONDS = 1.0
IDLE_WAKE_SECONDS = 1.0


@dataclass
class Job:
    info: DeviceInfo
    records: tuple[Record, ...]
    received_at: datetime
    done: asyncio.Future[None] | None = None

    @property
    def fixes(self) -> int:
        return sum(isinstance(r, PositionRecord | AlarmRecord) for r in self.records)


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


LiveSink = Callable[[dict[int, dict[str, Any]]], None]


class GroupCommitWriter:
    def __init__(
        self, db: Database, tracker: Tracker, config: FleetConfig, on_commit: LiveSink
    ) -> None:
        self._db, self._tracker, self._config = db, tracker, config
        self._on_commit = on_commit
        self._batch = _Batch()
        self._wake = asyncio.Event()
        self._full = asyncio.Event()
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="fleet-writer")
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._last_scan = self._last_state_flush = time.monotonic()
        self.committed_events = 0

    @property
    def running(self) -> bool:
        return self._task is not None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="fleet-writer")

    async def stop(self) -> None:
        """Commit what is queued, then stop."""
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        await self._task
        await self.run_in_writer(self._flush_states)
        self._thread.shutdown(wait=True)

    def submit(self, job: Job | UnknownJob) -> None:
        batch = self._batch
        batch.jobs.append(job)
        if isinstance(job, Job):
            batch.fixes += job.fixes
        self._wake.set()
        if batch.fixes >= self._config.batch_max_rows:
            self._full.set()

    async def store(self, job: Job) -> None:
        """Queue `job` and return once its fixes are committed (raises if the commit failed)."""
        job.done = asyncio.get_running_loop().create_future()
        self.submit(job)
        await job.done

    async def run_in_writer(self, function: Callable[[], Any]) -> Any:
        """Run `function` in the writer thread (it owns the tracker state)."""
        return await asyncio.get_running_loop().run_in_executor(self._thread, function)

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), IDLE_WAKE_SECONDS)
            if self._batch.jobs and not self._stopping:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), self._config.batch_max_ms / 1000)
            batch, self._batch = self._batch, _Batch()
            self._wake.clear()
            self._full.clear()
            await self._commit(batch)
            if self._stopping and not self._batch.jobs:
                return

    async def _commit(self, batch: _Batch) -> None:
        try:
            outcome = await self.run_in_writer(lambda: self._write(batch.jobs))
        except Exception as exc:
            log.exception("fleet group commit failed", extra={"jobs": len(batch.jobs)})
            _settle(batch.jobs, exc)
            return
        _settle(batch.jobs, None)
        if outcome.live:
            self._on_commit(outcome.live)

    def _write(self, jobs: list[Job | UnknownJob]) -> Outcome:
        """Writer thread: tracker, then one transaction for the whole batch."""
        out = Outcome()
        for job in jobs:
            if isinstance(job, Job):
                self._tracker.accept(job.info, job.records, job.received_at, out)
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


def _settle(jobs: list[Job | UnknownJob], error: Exception | None) -> None:
    for job in jobs:
        done = job.done if isinstance(job, Job) else None
        if done is None or done.done():
            continue
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)
