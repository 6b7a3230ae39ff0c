"""The ingest path the listeners call: device lookup, then the group-commit writer.

`store` returns once the fixes are durable, so a listener sends the device its reply only
after that. Records without a fix (login, heartbeat) only mark the device as seen and are
answered at once: there is nothing to lose.
"""

from __future__ import annotations

import asyncio
import logging
import re

from prometheus_client import Counter
from starlette.concurrency import run_in_threadpool

from warroom.core.audit import SYSTEM
from warroom.core.bus.base import Bus
from warroom.core.clock import utcnow
from warroom.core.db import Database
from warroom.core.errors import ConflictError
from warroom.fleet import service
from warroom.fleet.config import FleetConfig
from warroom.fleet.directory import DeviceDirectory, DeviceInfo
from warroom.fleet.live import LivePublisher
from warroom.fleet.protocols import Record
from warroom.fleet.schemas import UNIQUE_ID_PATTERN, DeviceCreate
from warroom.fleet.tracker import Tracker
from warroom.fleet.writer import GroupCommitWriter, Job, UnknownJob

log = logging.getLogger("warroom.fleet.pipeline")
MALFORMED_IDS = Counter(
    "warroom_fleet_malformed_ids_total", "Devices refused: not a possible device id", ["protocol"]
)
_WELL_FORMED_ID = re.compile(UNIQUE_ID_PATTERN)
UNKNOWN_NOTE_SECONDS = 60.0  # how often one unknown device is written to its list
MAX_UNKNOWN_REMEMBERED = 10_000


class Pipeline:
    def __init__(self, db: Database, bus: Bus, config: FleetConfig) -> None:
        self.db, self.config = db, config
        self.directory = DeviceDirectory(db)
        self.live = LivePublisher(bus, config.live_hz)
        self.writer = GroupCommitWriter(db, Tracker(config), config, self.live.offer)
        self._unknown_noted: dict[str, float] = {}
        self._register_lock = asyncio.Lock()

    @property
    def tracker(self) -> Tracker:
        return self.writer.tracker

    async def start(self) -> None:
        await run_in_threadpool(self.directory.load)
        await self.writer.prepare(self.directory)
        await self.writer.start()
        await self.live.start()

    async def stop(self) -> None:
        await self.writer.stop()
        await self.live.stop()

    async def reload_devices(self) -> None:
        await run_in_threadpool(self.directory.load)

    async def reload_fences(self) -> None:
        await self.writer.reload_fences()

    def lookup(self, unique_id: str) -> DeviceInfo | None:
        return self.directory.get(unique_id)

    async def store(self, info: DeviceInfo, records: tuple[Record, ...]) -> None:
        """Accept `records` of one device; returns when its fixes are committed."""
        committed = self.submit(info, records)
        if committed is not None:
            await committed

    def submit(self, info: DeviceInfo, records: tuple[Record, ...]) -> asyncio.Future[None] | None:
        """Queue `records` of one device: a future done when its fixes are committed, or None
        when they carry no fix (nothing to lose, nothing to wait for)."""
        job = Job(info, records, utcnow())
        if job.fixes:
            return self.writer.submit_waiting(job)
        self.writer.submit(job)
        return None

    async def identify(self, unique_id: str, protocol: str, remote: str) -> DeviceInfo | None:
        """The registered device, or None after listing it as unknown (or registering it
        when auto-registration is on)."""
        info = self.directory.get(unique_id)
        if info is not None:
            return info
        if not _WELL_FORMED_ID.fullmatch(unique_id):
            # No device can be registered with it, and listing it could fail the whole
            # batch's commit on PostgreSQL (ids are at most 64 characters there).
            MALFORMED_IDS.labels(protocol).inc()
            log.info("refused a malformed device id", extra={"protocol": protocol})
            return None
        if self.config.auto_register:
            return await self._auto_register(unique_id, protocol)
        now = asyncio.get_running_loop().time()
        if len(self._unknown_noted) > MAX_UNKNOWN_REMEMBERED:  # junk ids must not grow memory
            self._unknown_noted.clear()
        if now - self._unknown_noted.get(unique_id, -UNKNOWN_NOTE_SECONDS) >= UNKNOWN_NOTE_SECONDS:
            self._unknown_noted[unique_id] = now
            self.writer.submit(UnknownJob(unique_id, protocol, remote, utcnow()))
        return None

    async def _auto_register(self, unique_id: str, protocol: str) -> DeviceInfo | None:
        async with self._register_lock:
            if self.directory.get(unique_id) is None:
                await run_in_threadpool(self._register, unique_id, protocol)
                await self.reload_devices()
        return self.directory.get(unique_id)

    def _register(self, unique_id: str, protocol: str) -> None:
        try:
            with self.db.write() as session:
                service.create_device(
                    session,
                    data=DeviceCreate(unique_id=unique_id, protocol=protocol),
                    actor=SYSTEM,
                )
        except ConflictError:  # another process registered it first
            log.info("device registered concurrently", extra={"unique_id": unique_id})
        except ValueError:  # not a well-formed id: it stays unknown
            log.warning("refused to auto-register a malformed device id")
