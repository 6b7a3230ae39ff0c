"""TCP listener for a stream protocol: one framer and one decoder `Session` per connection.

A frame that fails to decode is dropped and the framer resyncs at the next frame marker; a
frame too large for the buffer, an unknown device or a failed commit closes that connection
only. Replies go out after the frame's fixes are committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from warroom.fleet.ingest import BAD_FRAMES, handle
from warroom.fleet.pipeline import Pipeline
from warroom.fleet.protocols import Decoded, DecodeError, FrameOverflowError, ProtocolSpec, Session

log = logging.getLogger("warroom.fleet.tcp")
READ_SIZE = 65536
MAX_BAD_IN_A_ROW = 50  # a peer sending only garbage is not a tracker


class TcpListener:
    def __init__(
        self, spec: ProtocolSpec, pipeline: Pipeline, *, host: str, port: int, idle_timeout: float
    ) -> None:
        if spec.framer is None:
            raise ValueError(f"{spec.name} is not a stream protocol")
        self.spec, self.pipeline = spec, pipeline
        self.host, self.port, self.idle_timeout = host, port, idle_timeout
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("listening", extra={"protocol": self.spec.name, "port": self.port})

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        peer = writer.get_extra_info("peername")
        remote = f"{peer[0]}:{peer[1]}" if peer else "unknown"
        try:
            await self._serve(reader, writer, remote)
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            pass
        except FrameOverflowError as exc:
            log.warning("closing connection: %s", exc, extra={"remote": remote})
        except Exception:  # one bad connection must never take the listener down
            log.exception("tracker connection failed", extra={"protocol": self.spec.name})
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

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
