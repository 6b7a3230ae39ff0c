"""TCP listener for a stream protocol: one framer and one decoder `Session` per connection.

A frame that fails to decode is dropped and the framer resyncs at the next frame marker; a
frame too large for the buffer, an unknown device or a failed commit closes that connection
only. Replies go out after the frame's fixes are committed.
"""

from __future__ import annotations

import asyncio
import logging

from warroom.fleet.ingest import BAD_FRAMES, handle
from warroom.fleet.listeners.stream import StreamListener
from warroom.fleet.pipeline import Pipeline
from warroom.fleet.protocols import Decoded, DecodeError, FrameOverflowError, ProtocolSpec, Session

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
        framer, session, bad = self.spec.framer(), Session(), 0
        while True:
            data = await asyncio.wait_for(reader.read(READ_SIZE), self.idle_timeout)
            if not data:
                return
            messages: list[Decoded] = []
            for frame in framer.feed(data):
                try:
                    messages.append(self.spec.decode(frame, session))
                    bad = 0
                except DecodeError as exc:
                    bad += 1
                    BAD_FRAMES.labels(self.spec.name).inc()
                    log.debug("bad frame: %s", exc, extra={"remote": remote})
            if bad >= MAX_BAD_IN_A_ROW:
                return
            if not messages:
                continue
            answer = await handle(self.pipeline, self.spec.name, messages, session, remote)
            if answer.reply:
                writer.write(answer.reply)
                await writer.drain()
            if answer.close:
                return
