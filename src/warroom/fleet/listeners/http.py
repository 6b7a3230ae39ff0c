"""HTTP listener for OsmAnd / Traccar Client (and OwnTracks HTTP mode).

A small HTTP/1.1 server on h11 rather than the web app: trackers post to their own port, and
this path should not pay for middleware, sessions and routing. The device gets 200 once its
fix is committed, 400 for a message that does not decode, 403 when it is not registered,
413 for a body over `MAX_BODY`, and 503 when the fix could not be stored (the Traccar and
OwnTracks apps keep a report that did not get a 200 and send it again).
"""

from __future__ import annotations

import asyncio
import logging

import h11

from warroom.fleet.ingest import BAD_FRAMES, NOT_STORED, handle
from warroom.fleet.listeners.stream import StreamListener
from warroom.fleet.protocols import DecodeError, Session

log = logging.getLogger("warroom.fleet.http")
MAX_BODY = 256 * 1024
READ_SIZE = 65536
RETRY_AFTER_SECONDS = 5


class BodyTooLarge(Exception):
    """The request's body passed `MAX_BODY`; it is answered, then the connection closed."""


class HttpListener(StreamListener):
    QUIET_ERRORS = (TimeoutError, ConnectionError, h11.ProtocolError)
    log = log

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, remote: str
    ) -> None:
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=16 * 1024)
        while True:
            try:
                request = await self._next_request(conn, reader)
            except BodyTooLarge:
                await _respond(conn, writer, 413, f"body over {MAX_BODY} bytes")
                return
            if request is None:
                return
            target, body = request
            status, text = await self._answer(target, body, remote)
            await _respond(conn, writer, status, text)
            if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                return
            conn.start_next_cycle()

    async def _next_request(
        self, conn: h11.Connection, reader: asyncio.StreamReader
    ) -> tuple[bytes, bytes] | None:
        target, body = b"", bytearray()
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                data = await asyncio.wait_for(reader.read(READ_SIZE), self.idle_timeout)
                conn.receive_data(data)
            elif isinstance(event, h11.Request):
                target = event.target
            elif isinstance(event, h11.Data):
                body += event.data
                if len(body) > MAX_BODY:
                    raise BodyTooLarge
            elif isinstance(event, h11.EndOfMessage):
                return target, bytes(body)
            else:  # ConnectionClosed or PAUSED
                return None

    async def _answer(self, target: bytes, body: bytes, remote: str) -> tuple[int, str]:
        message = body if body.lstrip().startswith(b"{") else _join(target, body)
        session = Session()
        try:
            decoded = self.spec.decode(message, session)
        except DecodeError as exc:
            BAD_FRAMES.labels(self.spec.name).inc()
            return 400, str(exc)
        try:
            answer = await handle(self.pipeline, self.spec.name, [decoded], session, remote)
        except Exception:  # the writer logged why; the device keeps the report and resends it
            NOT_STORED.labels(self.spec.name).inc()
            return 503, "not stored, send it again"
        if answer.close:
            return 403, "device not registered"
        return 200, ""


async def _respond(
    conn: h11.Connection, writer: asyncio.StreamWriter, status: int, text: str
) -> None:
    payload = text.encode()
    headers = [("content-type", "text/plain"), ("content-length", str(len(payload)))]
    if status == 503:
        headers.append(("retry-after", str(RETRY_AFTER_SECONDS)))
    writer.write(conn.send(h11.Response(status_code=status, headers=headers)) or b"")
    writer.write(conn.send(h11.Data(data=payload)) or b"")
    writer.write(conn.send(h11.EndOfMessage()) or b"")
    await writer.drain()


def _join(target: bytes, body: bytes) -> bytes:
    """Query parameters may come in the URL, in a form body, or both."""
    if not body.strip():
        return target
    separator = b"&" if b"?" in target else b"?"
    return target + separator + body.strip()
