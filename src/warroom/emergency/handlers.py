"""Events this domain consumes: the fleet's live positions (topic ``fleet.positions_updated``),
subscribed by topic name so this domain does not import the fleet's code. Each event updates
the units driving those vehicles and may set them on scene (see ``positions``)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from warroom.core.bus.base import Subscription
from warroom.core.bus.events import Event
from warroom.core.clock import utcnow
from warroom.core.db import Database
from warroom.emergency.config import EmergencyConfig
from warroom.emergency.positions import fixes_from_event, record_fixes

POSITIONS_TOPIC = "fleet.positions_updated"


def apply_positions(db: Database, positions: list[dict[str, Any]], radius_m: float) -> list[int]:
    fixes = fixes_from_event(positions, utcnow())
    if not fixes:
        return []
    with db.write() as session:
        return record_fixes(session, fixes=fixes, arrival_radius_m=radius_m)


class PositionFollower:
    """Background service: keeps unit positions current and detects arrival on scene."""

    def __init__(self, config: EmergencyConfig) -> None:
        self._config = config
        self._subscription: Subscription | None = None

    async def start(self, app: FastAPI) -> None:
        db: Database = app.state.db

        async def on_positions(event: Event) -> None:
            positions = event.model_dump().get("positions") or []
            arrived = await run_in_threadpool(
                apply_positions, db, positions, self._config.arrival_radius_m
            )
            if arrived:
                app.state.outbox_relay.notify()

        self._subscription = await app.state.bus.subscribe(on_positions, topics=[POSITIONS_TOPIC])

    async def stop(self, app: FastAPI) -> None:
        if self._subscription is not None:
            await self._subscription.unsubscribe()
