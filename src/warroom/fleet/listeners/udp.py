"""UDP listener: one datagram is one message; a `Session` per peer address (bounded).

UDP has no flow control: a flood would queue a task per datagram without end. Past
`MAX_IN_FLIGHT` datagrams waiting for their commit, new ones are dropped unanswered and
counted; a tracker resends what it got no ack for, as it does for a datagram the network lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict

from prometheus_client import Counter

from warroom.fleet.ingest import BAD_FRAMES, handle
from warroom.fleet.pipeline import Pipeline
from warroom.fleet.protocols import DecodeError, ProtocolSpec, Session

log = logging.getLogger("warroom.fleet.udp")
MAX_PEERS = 20_000
MAX_IN_FLIGHT = 10_000  # a second of a 10,000-fixes/s load; each holds one datagram
OVERLOADED = Counter(
    "warroom_fleet_udp_overload_dropped_total",
    "Datagrams dropped unanswered: too many waiting for their commit",
    ["protocol"],
)


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, listener: UdpListener) -> None:
        self.listener = listener

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.listener.received(data, addr)


class UdpListener:
    def __init__(self, spec: ProtocolSpec, pipeline: Pipeline, *, host: str, port: int) -> None:
        self.spec, self.pipeline, self.host, self.port = spec, pipeline, host, port
        self._decode = spec.decode_datagram or spec.decode
        self._sessions: OrderedDict[tuple[str, int], Session] = OrderedDict()
        self._transport: asyncio.DatagramTransport | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Protocol(self), local_addr=(self.host, self.port)
        )
        self._transport = transport
        self.port = transport.get_extra_info("sockname")[1]

    async def stop(self) -> None:
        if self._transport is not None:
            self._transport.close()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _session(self, addr: tuple[str, int]) -> Session:
        session = self._sessions.pop(addr, None) or Session()
        self._sessions[addr] = session
        if len(self._sessions) > MAX_PEERS:
            self._sessions.popitem(last=False)
        return session

    def received(self, data: bytes, addr: tuple[str, int]) -> None:
        if len(self._tasks) >= MAX_IN_FLIGHT:
            OVERLOADED.labels(self.spec.name).inc()
            return
        task = asyncio.get_running_loop().create_task(self._handle(data, addr))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, data: bytes, addr: tuple[str, int]) -> None:
        session = self._session(addr)
        try:
            message = self._decode(data, session)
        except DecodeError:
            BAD_FRAMES.labels(self.spec.name).inc()
            return
        try:
            answer = await handle(
                self.pipeline, self.spec.name, [message], session, f"{addr[0]}:{addr[1]}"
            )
        except Exception:  # not stored: no reply, the device sends it again
            log.exception("UDP message not stored", extra={"protocol": self.spec.name})
            return
        if answer.reply and self._transport is not None:
            self._transport.sendto(answer.reply, addr)
