"""WebSocket `/ws/fleet`: live vehicle positions for the map.

Position batches are too frequent for the war-room event list, so they skip the general feed
(`PositionsUpdated.feed` is False) and reach map clients here. One bus subscription per
process; a bounded queue per client drops the oldest batch for a slow screen (the next batch
has newer positions anyway). Partners only get their agency's vehicles.

A client first gets the latest position of every vehicle this hub has seen: a page that read
`/api/fleet/live` a moment before the device states were saved (they are saved every few
seconds) would otherwise miss a vehicle until it reports again. A device or vehicle changed in
the registry (moved to another agency, unassigned) is forgotten until it reports again, so a
partner never gets a vehicle that is no longer theirs from that memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, WebSocket, WebSocketDisconnect

from warroom.core.bus.base import Subscription
from warroom.core.bus.events import Event
from warroom.core.security.guard import require_socket
from warroom.core.security.permissions import Permission, Principal, Role
from warroom.fleet.events import DeviceUpdated, PositionsUpdated, VehicleUpdated

router = APIRouter(tags=["fleet"])
QUEUE_BATCHES = 20
PING_SECONDS = 25.0


@dataclass(eq=False)
class _Client:
    agency: str | None  # None: every agency
    queue: asyncio.Queue[str] = field(default_factory=lambda: asyncio.Queue(QUEUE_BATCHES))

    def offer(self, text: str) -> None:
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(text)


class LiveHub:
    """Background service: fans `PositionsUpdated` out to `/ws/fleet` clients."""

    def __init__(self) -> None:
        self._clients: set[_Client] = set()
        self._subscriptions: list[Subscription] = []
        self._latest: dict[int, dict[str, Any]] = {}  # device id -> newest payload (one each)

    async def start(self, app: FastAPI) -> None:
        bus = app.state.bus
        self._subscriptions = [
            await bus.subscribe(self._on_event, topics=[PositionsUpdated.topic]),
            await bus.subscribe(
                self._on_registry, topics=[DeviceUpdated.topic, VehicleUpdated.topic]
            ),
        ]
        app.state.fleet_live = self

    async def stop(self, app: FastAPI) -> None:
        for subscription in self._subscriptions:
            await subscription.unsubscribe()

    async def _on_registry(self, event: Event) -> None:
        if isinstance(event, DeviceUpdated):
            self._latest.pop(event.device_id, None)
        elif isinstance(event, VehicleUpdated):
            stale = [
                key for key, p in self._latest.items() if p.get("vehicle_id") == event.vehicle_id
            ]
            for device_id in stale:
                del self._latest[device_id]

    async def _on_event(self, event: Event) -> None:
        assert isinstance(event, PositionsUpdated)
        for position in event.positions:
            self._latest[position["device_id"]] = position
        text = json.dumps({"type": "positions", "positions": event.positions})
        for client in list(self._clients):
            if client.agency is None or client.agency == event.agency_code:
                client.offer(text)

    def snapshot(self, agency: str | None) -> str | None:
        """The newest position of every vehicle seen (of ``agency``, unless None)."""
        positions = [
            position
            for position in self._latest.values()
            if agency is None or position.get("agency_code") == agency
        ]
        return json.dumps({"type": "positions", "positions": positions}) if positions else None

    @contextlib.contextmanager
    def connect(self, principal: Principal) -> Iterator[_Client]:
        agency = principal.agency_code if principal.role is Role.PARTNER else None
        client = _Client(agency)
        snapshot = self.snapshot(agency)
        if snapshot is not None:
            client.offer(snapshot)
        self._clients.add(client)
        try:
            yield client
        finally:
            self._clients.discard(client)


def _same_origin(websocket: WebSocket) -> bool:
    origin = websocket.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == websocket.headers.get("host")


async def _pump(websocket: WebSocket, client: _Client) -> None:
    while True:
        try:
            text = await asyncio.wait_for(client.queue.get(), PING_SECONDS)
        except TimeoutError:
            text = '{"type": "ping"}'
        await websocket.send_text(text)


@router.websocket("/ws/fleet")
async def fleet_socket(
    websocket: WebSocket,
    principal: Annotated[Principal | None, require_socket(Permission.FLEET_READ)],
) -> None:
    if not _same_origin(websocket):
        await websocket.close(code=4403)
        return
    await websocket.accept()
    hub: LiveHub | None = getattr(websocket.app.state, "fleet_live", None)
    if principal is None or hub is None:
        await websocket.close(code=4401 if principal is None else 1013)
        return
    with hub.connect(principal) as client:
        pump = asyncio.create_task(_pump(websocket, client))
        try:
            while True:
                await websocket.receive_text()
        except WebSocketDisconnect:
            pass
        finally:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pump
