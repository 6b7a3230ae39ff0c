"""Bus fixtures and helpers: every contract test runs against each backend.

A NATS bus gets its own stream and subject prefix per test, so tests never see each other's
messages, and the stream is deleted afterwards.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import uuid4

import nats
import pytest
from nats.js.api import ConsumerInfo

from tests.services import NATS_URL, require_service
from warroom.core.bus import Bus, Event, InMemoryBus, NatsBus, RetryPolicy

FAST_RETRY = RetryPolicy(max_attempts=3, first_delay=0.01, max_delay=0.05)
WAIT = 5.0  # seconds any expected delivery may take before a test fails


class Inbox:
    """A handler that records what it receives; tests wait on it, with a timeout."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Condition()

    async def __call__(self, event: Event) -> None:
        async with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    async def wait_for(self, count: int) -> list[Event]:
        """The first ``count`` events, once they have arrived."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.events) >= count), WAIT)
        return self.events[:count]


def new_nats_bus(url: str = NATS_URL, **options: Any) -> NatsBus:
    """A NATS bus on a stream and subject prefix of its own."""
    tag = uuid4().hex[:12]
    options = {"retry": FAST_RETRY, "fetch_timeout": 1.0, **options}
    return NatsBus(url, stream=f"TEST_{tag}", subject_prefix=f"test_{tag}", **options)


@asynccontextmanager
async def running(bus: Bus) -> AsyncIterator[Bus]:
    """Start ``bus``; afterwards close it and, for NATS, delete its stream."""
    await bus.start()
    try:
        yield bus
    finally:
        await bus.close()
        if isinstance(bus, NatsBus):
            await delete_stream(bus.settings.stream)


@pytest.fixture(params=["memory", pytest.param("nats", marks=pytest.mark.nats)])
def unstarted_bus(request: pytest.FixtureRequest) -> Bus:
    if request.param == "memory":
        return InMemoryBus(retry=FAST_RETRY)
    require_service("NATS", "127.0.0.1", 4222)
    return new_nats_bus()


@pytest.fixture
async def bus(unstarted_bus: Bus) -> AsyncIterator[Bus]:
    async with running(unstarted_bus):
        yield unstarted_bus


@pytest.fixture
def nats_server() -> None:
    """Skip locally, fail in CI, when the NATS server is not running."""
    require_service("NATS", "127.0.0.1", 4222)


@pytest.fixture
async def nats_bus(nats_server: None) -> AsyncIterator[NatsBus]:
    bus = new_nats_bus()
    async with running(bus):
        yield bus


async def delete_stream(name: str) -> None:
    nc = await nats.connect(NATS_URL)
    try:
        await nc.jetstream().delete_stream(name)
    finally:
        await nc.close()


async def raw_publish(subject: str, payload: bytes) -> None:
    """Publish bytes that did not come from a bus (a foreign or broken producer)."""
    nc = await nats.connect(NATS_URL)
    try:
        await nc.jetstream().publish(subject, payload)
    finally:
        await nc.close()


async def consumer_info(stream: str, consumer: str) -> ConsumerInfo:
    nc = await nats.connect(NATS_URL)
    try:
        info: ConsumerInfo = await nc.jetstream().consumer_info(stream, consumer)
        return info
    finally:
        await nc.close()


async def until_acked(stream: str, consumer: str, *, stream_seq: int) -> None:
    """Poll until ``consumer`` has acknowledged everything up to ``stream_seq``."""
    while True:
        info = await consumer_info(stream, consumer)
        if info.ack_floor and info.ack_floor.stream_seq == stream_seq and not info.num_ack_pending:
            return
        await asyncio.sleep(0.01)


async def until_healthy(bus: Bus) -> None:
    """Poll: health has no event to wait on (it asks the server each time)."""
    while True:
        if await bus.healthy():
            return
        await asyncio.sleep(0.05)


class TcpProxy:
    """Forwards a local port to a server; ``cut()`` drops every connection, like a network
    blip, while new connections keep working."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._writers: list[asyncio.StreamWriter] = []
        self._server: asyncio.Server | None = None
        self.url = ""

    @classmethod
    async def start(cls, host: str, port: int) -> TcpProxy:
        proxy = cls(host, port)
        proxy._server = await asyncio.start_server(proxy._serve, "127.0.0.1", 0)
        proxy.url = f"nats://127.0.0.1:{proxy._server.sockets[0].getsockname()[1]}"
        return proxy

    def cut(self) -> None:
        for writer in self._writers:
            writer.close()
        self._writers.clear()

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        self._writers += [writer, upstream_writer]
        await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()
