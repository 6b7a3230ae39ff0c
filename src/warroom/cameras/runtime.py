"""The cameras background service: recorders for every recording camera, the retention and
archive job, idle live streams reaped, and (in demo mode) simulated cameras registered and served.

At scale run it in a dedicated recorder process (``WARROOM_CAMERAS_RECORDING=false`` in the web
processes) so each camera has exactly one recorder.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from warroom.cameras import archive, index, retention, service
from warroom.cameras.config import CamerasSettings
from warroom.cameras.crypto import CredentialBox
from warroom.cameras.events import CameraRegistered, CameraRemoved, CameraUpdated, RetentionSwept
from warroom.cameras.index import NewSegment
from warroom.cameras.live import LiveStreams
from warroom.cameras.models import Camera
from warroom.cameras.recorder import PROGRESS_SECONDS, Recorder
from warroom.cameras.removals import RemovalJournal
from warroom.cameras.watchclock import WatchClock
from warroom.core import audit, outbox
from warroom.core.audit import SYSTEM, Actor
from warroom.core.bus.base import Subscription
from warroom.core.bus.events import Event
from warroom.core.clock import utcnow
from warroom.core.db import Database
from warroom.core.errors import DomainError

log = logging.getLogger("warroom.cameras")
DEMO_SPOTS = (  # Makassar landmarks: Losari, Karebosi, Panakkukang, Sentral, Antang, Tallo
    (-5.1436, 119.4075, 270), (-5.1356, 119.4130, 90), (-5.1550, 119.4480, 180),
    (-5.1330, 119.4160, 0), (-5.1690, 119.4940, 45), (-5.1080, 119.4360, 135),
)  # fmt: skip


class DatabaseSink:
    """What recorders report, written to the index; wakes the outbox relay for status events.

    Finished segments from every recorder, and health figures of cameras whose status did not
    change, are written together once per ``flush_seconds`` in one transaction: per-report
    transactions cost more CPU than the stream copy itself. Status changes are written at once
    (they are alerts). Segment files are on disk already; a crash before a flush leaves them
    unindexed, never lost.
    """

    def __init__(
        self, db: Database, notify: Callable[[], None], flush_seconds: float = 5.0
    ) -> None:
        self._db, self._notify, self._flush_seconds = db, notify, flush_seconds
        self._pending: list[NewSegment] = []
        self._health: dict[int, dict[str, Any]] = {}
        self._known: dict[int, tuple[str, str]] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._flush_forever(), name="cameras-index-flush")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.flush()

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(self._flush_seconds)
            try:
                await self.flush()
            except Exception:  # the batch stays pending and is retried
                log.exception("indexing segments failed; retrying")

    async def flush(self) -> None:
        batch, self._pending = self._pending, []
        health, self._health = self._health, {}
        if not batch and not health:
            return
        try:
            await asyncio.to_thread(self._write, self._write_batch, batch, health)
        except BaseException:
            self._pending[:0] = batch
            self._health = {**health, **self._health}
            raise

    @staticmethod
    def _write_batch(
        session: Any, batch: list[NewSegment], health: dict[int, dict[str, Any]]
    ) -> None:
        index.add_segments(session, batch)
        index.store_health(session, figures=health)

    def segments(self, segments: list[NewSegment]) -> None:
        self._pending.extend(segments)

    async def status(
        self, camera_id: int, status: str, detail: str, health: dict[str, Any]
    ) -> None:
        if self._known.get(camera_id) == (status, detail):
            self._health[camera_id] = health
            return

        def write(session: Any) -> bool:
            return index.set_status(
                session, camera_id=camera_id, status=status, detail=detail, health=health
            )

        changed = await asyncio.to_thread(self._write, write)
        self._known[camera_id] = (status, detail)
        if changed:
            self._notify()

    async def stopped(self, camera_id: int, reason: str) -> None:
        def write(session: Any) -> None:
            if session.get(Camera, camera_id) is None:
                return
            at = index.last_segment_end(session, camera_id=camera_id) or utcnow()
            index.open_gap(session, camera_id=camera_id, at=at, reason=reason)

        await asyncio.to_thread(self._write, write)

    def _write(self, fn: Callable[..., Any], *args: Any) -> Any:
        with self._db.write() as session:
            return fn(session, *args)


class CamerasRuntime:
    def __init__(self, config: CamerasSettings | None = None) -> None:
        self.config = config or CamerasSettings()
        self.recorders: dict[int, Recorder] = {}
        self.clock = WatchClock(PROGRESS_SECONDS)  # one wake-up per period for all recorders
        self.live: LiveStreams | None = None
        self.simulator: Any = None
        self._tasks: list[asyncio.Task[None]] = []
        self._subscription: Subscription | None = None
        self._app: FastAPI | None = None

    async def start(self, app: FastAPI) -> None:
        self._app = app
        settings = app.state.settings
        self.box = CredentialBox(settings.secret_key.get_secret_value())
        self.hot_root = self.config.hot_dir(settings.data_dir).resolve()
        self.archive_root = self.config.archive_dir(settings.data_dir).resolve()
        self.live = LiveStreams(
            self.config.live_dir(settings.data_dir).resolve(), self.config.ffmpeg
        )
        app.state.cameras = self
        relay = app.state.outbox_relay
        self.sink = DatabaseSink(app.state.db, relay.notify)
        self.sink.start()
        if settings.demo and self.config.demo_cameras:
            try:
                await asyncio.to_thread(self._start_demo, app.state.db)
            except DomainError as exc:  # the war room still runs, without demo cameras
                log.warning("demo cameras not started: %s", exc.message)
            relay.notify()
        if self.config.recording:
            for camera_id in await asyncio.to_thread(self._recording_cameras):
                await self.reconcile(camera_id)
            self._subscription = await app.state.bus.subscribe(
                self._on_registry_event,
                topics=[CameraRegistered.topic, CameraUpdated.topic, CameraRemoved.topic],
            )
        self._tasks.append(asyncio.create_task(self._housekeeping(), name="cameras-housekeeping"))

    async def stop(self, app: FastAPI) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._subscription is not None:
            await self._subscription.unsubscribe()
        await asyncio.gather(*(r.stop() for r in self.recorders.values()))
        self.recorders.clear()
        await self.sink.close()
        if self.live is not None:
            await asyncio.to_thread(self.live.close)
        if self.simulator is not None:
            await asyncio.to_thread(self.simulator.stop)

    def _recording_cameras(self) -> list[int]:
        with self._app_db().read() as session:
            return [c.id for c in service.list_cameras(session) if c.recording]

    def _app_db(self) -> Database:
        assert self._app is not None
        db: Database = self._app.state.db
        return db

    async def _on_registry_event(self, event: Event) -> None:
        camera_id = getattr(event, "camera_id", None)
        if isinstance(event, CameraRegistered) and camera_id in self.recorders:
            return  # started already (demo cameras are registered by this service itself)
        if isinstance(camera_id, int):
            await self.reconcile(camera_id)

    async def reconcile(self, camera_id: int) -> None:
        """Start, restart or stop the camera's recorder to match the registry."""
        url = await asyncio.to_thread(self._recording_url, camera_id)
        current = self.recorders.pop(camera_id, None)
        if current is not None:
            await current.stop()
        if url is None:
            return
        recorder = Recorder(
            camera_id=camera_id,
            url=url,
            out_dir=self.hot_root / f"camera-{camera_id}",
            config=self.config,
            sink=self.sink,
            clock=self.clock,
        )
        self.recorders[camera_id] = recorder
        recorder.start()

    def _recording_url(self, camera_id: int) -> str | None:
        with self._app_db().read() as session:
            camera = session.get(Camera, camera_id)
            if camera is None or not camera.recording:
                return None
            return service.stream_url(camera, self.box)

    async def _housekeeping(self) -> None:
        while True:
            await asyncio.sleep(min(self.config.sweep_interval_seconds, 10))
            if self.live is not None:
                await asyncio.to_thread(self.live.reap)
            try:
                await asyncio.to_thread(self.run_retention)
            except Exception:
                log.exception("retention run failed; retrying next interval")

    def run_retention(self, *, actor: Actor = SYSTEM) -> retention.SweepResult:
        """Archive what is due, then sweep; files go only after the index committed (the
        journal covers a crash in between: see removals.py)."""
        db = self._app_db()
        journal = RemovalJournal(self.hot_root)
        journal.recover(db)
        with db.read() as session:
            jobs = archive.due(
                session, now=utcnow(), hot_root=self.hot_root, archive_root=self.archive_root
            )
        for job in jobs:
            if archive.keyframes_only(self.config.ffmpeg, job.source, job.target):
                with db.write() as session:
                    archive.swap(session, job=job)
                job.source.unlink(missing_ok=True)
        pending: Path | None = None
        with db.write() as session:
            result = retention.sweep(session, now=utcnow(), budgets=self.budgets)
            if result.deleted or actor is not SYSTEM:
                audit.record(
                    session,
                    actor=actor,
                    action="camera.retention_swept",
                    target_type="camera_storage",
                    target_id="all",
                    detail={"deleted": result.deleted, "freed_bytes": result.freed_bytes},
                )
            if result.deleted:
                outbox.enqueue(
                    session,
                    RetentionSwept(deleted_segments=result.deleted, freed_bytes=result.freed_bytes),
                )
                pending = journal.record(result.ids, result.paths)  # before the commit
        if pending is not None:
            journal.finish(pending, result.paths)
        return result

    @property
    def budgets(self) -> dict[str, int]:
        return {"hot": self.config.hot_budget_bytes, "archive": self.config.archive_budget_bytes}

    def _start_demo(self, db: Database) -> None:
        from warroom.cameras.schemas import CameraCreate
        from warroom.cameras.simulator import CameraSimulator

        self.simulator = CameraSimulator(
            count=self.config.demo_cameras, port=self.config.demo_rtsp_port
        )
        self.simulator.start()
        with db.write() as session:
            known = {c.name for c in service.list_cameras(session)}
            for sim in self.simulator.cameras:
                if sim.name in known:
                    continue
                lat, lon, heading = DEMO_SPOTS[(sim.index - 1) % len(DEMO_SPOTS)]
                data = CameraCreate(
                    name=sim.name, main_url=sim.main_url, sub_url=sim.sub_url, lat=lat, lon=lon,
                    direction_deg=heading, fov_deg=70, tags=["demo"],
                )  # fmt: skip
                service.create_camera(session, data=data, box=self.box, actor=SYSTEM)


def runtime_of(app: Any) -> CamerasRuntime:
    """The running cameras service (the API uses it for live view and retention)."""
    runtime = getattr(app.state, "cameras", None)
    if runtime is None:
        from warroom.core.errors import ConflictError

        raise ConflictError("the cameras service is not running in this process")
    assert isinstance(runtime, CamerasRuntime)
    return runtime


def cameras_services(app: FastAPI) -> list[CamerasRuntime]:
    return [CamerasRuntime()]
