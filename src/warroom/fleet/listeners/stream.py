"""A stream-task listener (the OsmAnd HTTP one): an asyncio server whose connections are
tracked so `stop()` can end them, and one place that decides which connection errors are
routine (peer gone, idle, bad protocol) and which are logged. The binary TCP listeners are
protocols instead (`tcp.py`); they share the listen backlog."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from warroom.fleet.pipeline import Pipeline
from warroom.fleet.protocols import ProtocolSpec

# Pending connections the kernel queues (the default is 100): after a restart every tracker
# of a fleet reconnects at once, and a full queue resets connections.
LISTEN_BACKLOG = 4096


class StreamListener:
    # Errors that end one connection and are nobody's fault worth a log line.
    QUIET_ERRORS: tuple[type[BaseException], ...] = (TimeoutError, ConnectionError)
    log = logging.getLogger("warroom.fleet.listener")

    def __init__(
        self, spec: ProtocolSpec, pipeline: Pipeline, *, host: str, port: int, idle_timeout: float
    ) -> None:
        self.spec, self.pipeline = spec, pipeline
        self.host, self.port, self.idle_timeout = host, port, idle_timeout
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._stopping = False

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._accept, self.host, self.port, backlog=LISTEN_BACKLOG
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self.log.info("listening", extra={"protocol": self.spec.name, "port": self.port})

    async def stop(self) -> None:
        self._stopping = True
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
        except self.QUIET_ERRORS:
            pass
        except asyncio.CancelledError:
            # Ended by stop(): finish quietly. Re-raised, asyncio's stream callback (3.11) asks
            # the cancelled task for its exception and logs a traceback per connection.
            if not self._stopping:
                raise
        except Exception as exc:  # one bad connection must never take the listener down
            self._failed(exc, remote)
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    def _failed(self, exc: Exception, remote: str) -> None:
        self.log.exception("tracker connection failed", extra={"protocol": self.spec.name})

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, remote: str
    ) -> None:
        raise NotImplementedError
