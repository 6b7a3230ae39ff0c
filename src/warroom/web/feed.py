"""Live war-room feed: bus events fanned out to authenticated WebSocket clients.

The hub holds one bus subscription per process and a bounded queue per client, so one slow
screen can neither block the bus nor grow memory: when its queue is full the oldest events are
dropped for that client and it is told how many it missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from prometheus_client import Counter, Gauge
from starlette.concurrency import run_in_threadpool

from warroom.core.bus.base import Bus, Subscription
from warroom.core.bus.events import Event
from warroom.core.outbox import recent_events
from warroom.core.security.guard import identify, require_socket
from warroom.core.security.permissions import Permission, Principal, Role
from warroom.web.feed_filter import FeedFilter, FeedFilterError, parse_feed_filter

log = logging.getLogger("warroom.feed")
CLIENTS = Gauge("warroom_feed_clients", "WebSocket feed clients connected")
DELIVERED = Counter("warroom_feed_events_total", "Events sent to feed clients")
DROPPED = Counter("warroom_feed_dropped_total", "Events dropped for slow feed clients")

router = APIRouter(tags=["feed"])


@dataclass(eq=False)
class _Client:
    principal: Principal
    wanted: FeedFilter = field(default_factory=FeedFilter)
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(maxsize=500))
    missed: int = 0

    def sees(self, event: Event) -> bool:
        if (
            self.principal.role is Role.PARTNER
            and event.agency_scope() != self.principal.agency_code
        ):
            return False
        return self.wanted.matches(event)

    def offer(self, item: dict[str, Any]) -> None:
        if self.queue.full():
            self.queue.get_nowait()
            self.missed += 1
            DROPPED.inc()
        self.queue.put_nowait(item)


class FeedHub:
    def __init__(self) -> None:
        self._clients: set[_Client] = set()
        self._subscription: Subscription | None = None

    async def start(self, bus: Bus) -> None:
        self._subscription = await bus.subscribe(self._on_event)

    async def stop(self) -> None:
        if self._subscription is not None:
            await self._subscription.unsubscribe()

    async def _on_event(self, event: Event) -> None:
        if not event.feed:
            return
        item = event.summary()
        for client in list(self._clients):
            if client.sees(event):
                client.offer(item)

    @contextlib.contextmanager
    def connect(self, principal: Principal, wanted: FeedFilter) -> Any:
        client = _Client(principal, wanted)
        self._clients.add(client)
        CLIENTS.inc()
        try:
            yield client
        finally:
            self._clients.discard(client)
            CLIENTS.dec()


def _same_origin(websocket: WebSocket) -> bool:
    """Refuse cross-site WebSocket hijacking: browsers send Origin, and it must be us."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser (no ambient cookies to abuse)
    return urlsplit(origin).netloc == websocket.headers.get("host")


async def _pump(websocket: WebSocket, client: _Client) -> None:
    while True:
        try:
            item = await asyncio.wait_for(client.queue.get(), timeout=25)
        except TimeoutError:
            if await identify(websocket) is None:  # logged out or expired since connecting
                await websocket.close(code=4401, reason="session ended")
                return
            item = {"type": "ping"}  # keeps proxies from closing an idle connection
        if client.missed:
            await websocket.send_text(json.dumps({"type": "missed", "count": client.missed}))
            client.missed = 0
        await websocket.send_text(json.dumps(item))
        DELIVERED.inc()


BACKFILL = 50
BACKFILL_SCAN = 1000  # a filtered screen looks further back for its 50, but not without bound


async def _backfill(websocket: WebSocket, client: _Client) -> None:
    """An operator starting a shift sees what happened just before, not an empty feed.

    Events already queued for the client while this runs may repeat; the page ignores an
    event_id it has shown.
    """
    db = websocket.app.state.db
    events = await run_in_threadpool(recent_events, db, limit=BACKFILL_SCAN)
    shown = [event for event in events if event.feed and client.sees(event)][-BACKFILL:]
    for event in shown:
        await websocket.send_text(json.dumps({**event.summary(), "replayed": True}))


CLOSE_BAD_FILTER = 4400
_MAX_CLOSE_REASON_BYTES = 123  # the WebSocket protocol's limit


def _close_reason(error: Exception) -> str:
    return str(error).encode()[:_MAX_CLOSE_REASON_BYTES].decode(errors="ignore")


@router.websocket("/ws/events")
async def events_socket(
    websocket: WebSocket,
    principal: Annotated[Principal | None, require_socket(Permission.EVENTS_READ)],
) -> None:
    if not _same_origin(websocket):
        await websocket.close(code=4403)  # before accept: the handshake fails with 403
        return
    await websocket.accept()
    if principal is None:
        await websocket.close(code=4401, reason="log in first")  # the page sends you to /login
        return
    try:
        wanted = parse_feed_filter(websocket.query_params)
    except FeedFilterError as error:  # the page shows the reason; a script sees it
        await websocket.close(code=CLOSE_BAD_FILTER, reason=_close_reason(error))
        return
    hub: FeedHub = websocket.app.state.feed_hub
    with hub.connect(principal, wanted) as client:
        await _backfill(websocket, client)
        pump = asyncio.create_task(_pump(websocket, client))
        try:
            while True:  # we only listen to notice the close
                await websocket.receive_text()
        except WebSocketDisconnect:
            pass
        finally:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pump
