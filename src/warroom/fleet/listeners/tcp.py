"""TCP listener for a stream protocol: one framer and one decoder `Session` per connection.

A frame that fails to decode is dropped and the framer resyncs at the next frame marker; a
frame too large for the buffer, an unknown device or a failed commit closes that connection
only. Replies go out after the frame's fixes are committed, and the connection reads nothing
more until then. A connection silent for the idle timeout (not counting a wait for its
commit) is closed.

Each connection is an `asyncio.Protocol`, not a stream task: at 30k positions/s the stream
version's reads, timers and coroutine hops per packet held the event loop's share of the
interpreter lock for about 50 µs a packet. A registered device's packet is decoded and
submitted from `data_received` itself, and its ack written from the commit's callback; only
an unregistered device goes through the general `ingest.handle` coroutine.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, cast

from warroom.fleet.ingest import BAD_FRAMES, Answer, Pending, handle, submit_known
from warroom.fleet.listeners.stream import LISTEN_BACKLOG
from warroom.fleet.pipeline import Pipeline
from warroom.fleet.protocols import (
    Decoded,
    DecodeError,
    FrameOverflowError,
    ProtocolSpec,
    Session,
)

log = logging.getLogger("warroom.fleet.tcp")
MAX_BAD_IN_A_ROW = 50  # a peer sending only garbage is not a tracker
MAX_SWEEP_SECONDS = 5.0


class TcpListener:
    def __init__(
        self, spec: ProtocolSpec, pipeline: Pipeline, *, host: str, port: int, idle_timeout: float
    ) -> None:
        if spec.framer is None:
            raise ValueError(f"{spec.name} is not a stream protocol")
        self.spec, self.pipeline = spec, pipeline
        self.host, self.port, self.idle_timeout = host, port, idle_timeout
        self.open: set[TrackerConnection] = set()
        self.handling: set[asyncio.Task[Answer]] = set()  # unregistered devices' packets
        self._server: asyncio.Server | None = None
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: TrackerConnection(self), self.host, self.port, backlog=LISTEN_BACKLOG
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._sweeper = asyncio.create_task(self._sweep_idle(), name=f"{self.spec.name}-idle")
        log.info("listening", extra={"protocol": self.spec.name, "port": self.port})

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
        if self._server is not None:
            self._server.close()
        for connection in list(self.open):
            connection.close(abort=True)
        for task in self.handling:
            task.cancel()
        await asyncio.gather(*self.handling, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _sweep_idle(self) -> None:
        """Close connections silent for `idle_timeout`, a few times per timeout. One sweep
        for all of them: a timer moved around every read cost 7 % of the event loop's share
        of the interpreter lock at 30k positions/s; a sweep of 10,000 connections, 2 ms."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(min(self.idle_timeout / 4, MAX_SWEEP_SECONDS))
            silent_since = loop.time() - self.idle_timeout
            for connection in list(self.open):
                if not connection.waiting and connection.last_read < silent_since:
                    connection.close(abort=True)


class TrackerConnection(asyncio.Protocol):
    """One tracker's TCP connection."""

    def __init__(self, listener: TcpListener) -> None:
        assert listener.spec.framer is not None
        self.listener, self.spec = listener, listener.spec
        self.framer, self.session = listener.spec.framer(), Session()
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.remote = "unknown"
        self.last_read = self.loop.time()
        self.waiting = False  # for the commit of what it sent; reading is paused meanwhile
        self.bad = 0  # frames in a row that failed to decode
        self._reply = b""
        self._unsettled = 0  # commits still awaited

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport (uvloop's do not subclass asyncio.Transport, hence the cast).
        self.transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        self.remote = f"{peer[0]}:{peer[1]}" if peer else "unknown"
        self.listener.open.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.listener.open.discard(self)
        self.transport = None

    def close(self, *, abort: bool = False) -> None:
        if self.transport is not None:
            if abort:
                self.transport.abort()
            else:
                self.transport.close()

    def data_received(self, data: bytes) -> None:
        self.last_read = self.loop.time()
        try:
            messages = self._decode(data)
            if messages:
                self._submit(messages)
        except FrameOverflowError as exc:
            log.warning("closing connection: %s", exc, extra={"remote": self.remote})
            self.close()
        except Exception:  # one bad connection must never take the listener down
            log.exception("tracker connection failed", extra={"protocol": self.spec.name})
            self.close()

    def _decode(self, data: bytes) -> list[Decoded]:
        messages = []
        for frame in self.framer.feed(data):
            try:
                messages.append(self.spec.decode(frame, self.session))
                self.bad = 0
            except DecodeError as exc:
                self.bad += 1
                BAD_FRAMES.labels(self.spec.name).inc()
                log.debug("bad frame: %s", exc, extra={"remote": self.remote})
        if self.bad >= MAX_BAD_IN_A_ROW:
            self.close()
            return []
        return messages

    def _submit(self, messages: list[Decoded]) -> None:
        listener = self.listener
        outcome = submit_known(listener.pipeline, self.spec.name, messages, self.session)
        if isinstance(outcome, Answer):
            self._answer(outcome)
            return
        self._wait()
        if outcome is None:  # an unregistered device: the general path decides
            task = self.loop.create_task(
                handle(listener.pipeline, self.spec.name, messages, self.session, self.remote)
            )
            listener.handling.add(task)
            task.add_done_callback(listener.handling.discard)
            task.add_done_callback(self._handled)
        else:
            self._await_commits(outcome)

    def _wait(self) -> None:
        self.waiting = True
        if self.transport is not None:
            self.transport.pause_reading()

    def _await_commits(self, pending: Pending) -> None:
        self._reply, self._unsettled = pending.reply, len(pending.committed)
        if not pending.committed:
            self._answer(Answer(pending.reply))
        for committed in pending.committed:
            committed.add_done_callback(self._committed)

    def _committed(self, committed: asyncio.Future[None]) -> None:
        if committed.cancelled() or committed.exception() is not None:
            self._unsettled = -1  # a failed commit: no reply, the device sends it again
            self._failed(committed)
            return
        self._unsettled -= 1
        if self._unsettled == 0:
            self._answer(Answer(self._reply))

    def _handled(self, task: asyncio.Future[Answer]) -> None:
        if task.cancelled() or task.exception() is not None:
            self._failed(task)
            return
        self._answer(task.result())

    def _failed(self, future: asyncio.Future[Any]) -> None:
        if not future.cancelled():
            log.error(
                "tracker data not stored; closing the connection",
                exc_info=future.exception(),
                extra={"protocol": self.spec.name, "remote": self.remote},
            )
        self.close()

    def _answer(self, answer: Answer) -> None:
        self.waiting = False
        transport = self.transport
        if transport is None:  # gone meanwhile: it sends again after reconnecting
            return
        if answer.reply:
            transport.write(answer.reply)
        if answer.close:
            transport.close()
            return
        with contextlib.suppress(RuntimeError):  # closing already
            transport.resume_reading()
