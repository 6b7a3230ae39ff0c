"""The emergency domain's background services: the new-incident writer (group commit), GPS
position follower (arrival on scene), the response-target watch, and in demo mode the
simulated stream of 112 calls."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from warroom.core.clock import utcnow
from warroom.emergency.breaches import BreachWatch
from warroom.emergency.config import EmergencyConfig
from warroom.emergency.handlers import PositionFollower
from warroom.emergency.intake import IncidentIntake
from warroom.emergency.simulation import Simulation

log = logging.getLogger("warroom.emergency.demo")


class DemoCalls:
    """`warroom demo`: simulated calls in real time, so the dispatcher board is alive."""

    def __init__(self, config: EmergencyConfig) -> None:
        self._config = config
        self._task: asyncio.Task[None] | None = None

    async def start(self, app: FastAPI) -> None:
        self._task = asyncio.create_task(self._run(app), name="emergency-demo-calls")

    async def stop(self, app: FastAPI) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self, app: FastAPI) -> None:
        sim = await run_in_threadpool(self._prepare, app)
        while True:
            try:
                await run_in_threadpool(sim.run_until, utcnow())
                app.state.outbox_relay.notify()
            except Exception:  # keep the demo going; the next step tries again
                log.exception("demo call stream step failed")
            await asyncio.sleep(1.0)

    def _prepare(self, app: FastAPI) -> Simulation:
        from warroom.geo.network import get_router  # heavy; only the demo simulation needs it

        sim = Simulation(
            app.state.db,
            get_router(),
            calls_per_hour=self._config.demo_calls_per_hour,
            arrival_radius_m=self._config.arrival_radius_m,
        )
        now = utcnow()
        created = sim.seed_units(now)
        log.info("demo call stream started", extra={"units_created": created})
        sim.start(now)
        return sim


def emergency_services(app: FastAPI) -> list[Any]:
    config = EmergencyConfig()
    app.state.emergency_config = config
    found: list[Any] = [IncidentIntake(app.state.db), PositionFollower(config), BreachWatch(config)]
    if app.state.settings.demo:
        found.append(DemoCalls(config))
    return found
