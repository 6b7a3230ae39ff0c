"""TCP listener for a stream protocol: one framer and one decoder `Session` per connection.

A frame that fails to decode is dropped and the framer resyncs at the next frame marker; a
frame too large for the buffer, an unknown device or a failed commit closes that connection
only. Replies go out after the frame's fixes are committed.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from warroom.fleet.ingest import BAD_FRAMES, handle
from warroom.fleet.listeners.stream import StreamListener
from warroom.fleet.pipeline import Pipeline
from warroom.fleet.protocols import (
    Decoded,
    DecodeError,
    FrameOverflowError,
    Framer,
    ProtocolSpec,
    Session,
)

log = logging.getLogger("warroom.fleet.tcp")
READ_SIZE = 65536
MAX_BAD_IN_A_ROW = 50  # a peer sending only garbage is not a tracker


class TcpListener(StreamListener):
    QUIET_ERRORS = (TimeoutError, ConnectionError, asyncio.IncompleteReadError)
    log = log

    def __init__(
        self, spec: ProtocolSpec, pipeline: Pipeline, *, host: str, port: int, idle_timeout: float
    ) -> None:
        if spec.framer is None:
            raise ValueError(f"{spec.name} is not a stream protocol")
        super().__init__(spec, pipeline, host=host, port=port, idle_timeout=idle_timeout)

    def _failed(self, exc: Exception, remote: str) -> None:
        if isinstance(exc, FrameOverflowError):
            self.log.warning("closing connection: %s", exc, extra={"remote": remote})
        else:
            super()._failed(exc, remote)

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, remote: str
    ) -> None:
        assert self.spec.framer is not None
        connection = _Connection(self.spec.framer(), Session(), writer, remote)
        loop = asyncio.get_running_loop()
        # One timeout moved before each read: `wait_for` would wrap every read in a new task.
        async with asyncio.timeout(None) as idle:
            while True:
                idle.reschedule(loop.time() + self.idle_timeout)
                data = await reader.read(READ_SIZE)
                if not data:
                    return
                idle.reschedule(None)  # waiting for a commit is not idleness
                if not await self._received(connection, data):
                    return

    async def _received(self, connection: _Connection, data: bytes) -> bool:
        """Decode, store and answer what arrived; False to close the connection."""
        messages: list[Decoded] = []
        for frame in connection.framer.feed(data):
            try:
                messages.append(self.spec.decode(frame, connection.session))
                connection.bad = 0
            except DecodeError as exc:
                connection.bad += 1
                BAD_FRAMES.labels(self.spec.name).inc()
                log.debug("bad frame: %s", exc, extra={"remote": connection.remote})
        if connection.bad >= MAX_BAD_IN_A_ROW:
            return False
        if not messages:
            return True
        answer = await handle(
            self.pipeline, self.spec.name, messages, connection.session, connection.remote
        )
        if answer.reply:
            connection.writer.write(answer.reply)
            await connection.writer.drain()
        return not answer.close


@dataclass
class _Connection:
    framer: Framer
    session: Session
    writer: asyncio.StreamWriter
    remote: str
    bad: int = 0  # frames in a row that failed to decode
