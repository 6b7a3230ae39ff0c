"""Live positions to the map: after each commit, the latest fix per vehicle is kept and sent
on the bus `live_hz` times a second as one `PositionsUpdated` per agency (partners see only
their own). Coalescing bounds the feed to (vehicles x Hz) whatever the ingest rate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from warroom.core.bus.base import Bus
from warroom.fleet.events import PositionsUpdated

log = logging.getLogger("warroom.fleet.live")


class LivePublisher:
    def __init__(self, bus: Bus, hz: float) -> None:
        self._bus = bus
        self._period = 1.0 / hz
        self._pending: dict[int, dict[str, Any]] = {}
        self._task: asyncio.Task[None] | None = None

    def offer(self, updates: dict[int, dict[str, Any]]) -> None:
        self._pending.update(updates)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="fleet-live")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._period)
            try:
                await self.flush()
            except Exception:  # the next tick sends newer positions anyway
                log.exception("publishing live positions failed")

    async def flush(self) -> None:
        pending, self._pending = self._pending, {}
        by_agency: dict[str | None, list[dict[str, Any]]] = {}
        for payload in pending.values():
            by_agency.setdefault(payload["agency_code"], []).append(payload)
        for agency, positions in by_agency.items():
            await self._bus.publish(PositionsUpdated(agency_code=agency, positions=positions))
