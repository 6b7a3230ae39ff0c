"""OwnTracks over MQTT: subscribe to the broker (Mosquitto) and store what phones publish.

paho-mqtt runs its network loop in its own thread; messages are handed to the event loop.
With QoS 1 the broker's message is acknowledged (manual ack) only after the fix is committed,
so a crash before the commit makes the broker deliver it again.

A broker resends an unacknowledged message only when the client reconnects, and Mosquitto
stops delivering to a client that holds 20 of them (`max_inflight_messages`), so every
message must end in an ack, and which one depends on why it was not stored:

- it can never be stored (it does not decode, or the decoder fails on it): acknowledged at
  once, counted as a bad frame and logged with the reason; holding it would only stall the
  phones behind it;
- the store failed (the database is down, locked or failing over): the ack is held and the
  store retried with backoff until it succeeds. While the database is away the broker stops
  at 20 messages in flight and keeps the rest in the persistent session, so nothing that
  was acknowledged is lost and nothing is acknowledged unstored.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from prometheus_client import Counter

from warroom.fleet.ingest import BAD_FRAMES, handle
from warroom.fleet.pipeline import Pipeline
from warroom.fleet.protocols import PROTOCOLS, Decoded, DecodeError, Session
from warroom.fleet.protocols.owntracks import device_id_from_topic

log = logging.getLogger("warroom.fleet.mqtt")
STORE_RETRIES = Counter(
    "warroom_fleet_mqtt_store_retries_total", "OwnTracks messages whose store failed and is retried"
)
RETRY_FIRST_SECONDS = 0.5
RETRY_MAX_SECONDS = 30.0


class MqttListener:
    def __init__(self, pipeline: Pipeline, *, url: str, topic: str, client_id: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 1883
        self.topic, self.pipeline = topic, pipeline
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=False,
            manual_ack=True,
        )
        if parts.username:
            self._client.username_pw_set(parts.username, parts.password)
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handling: set[asyncio.Task[None]] = set()
        self._stopping = False
        self.connected = asyncio.Event()  # set once the broker confirmed the subscription

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._client.connect_async(self.host, self.port, keepalive=30)
        self._client.loop_start()

    async def stop(self) -> None:
        """Messages still waiting for the database stay unacknowledged: the broker keeps
        them in the session and delivers them again at the next start."""
        self._stopping = True
        self._client.disconnect()
        self._client.loop_stop()
        for task in self._handling:
            task.cancel()
        await asyncio.gather(*self._handling, return_exceptions=True)

    def _on_connect(
        self, client: mqtt.Client, _data: Any, _flags: Any, reason: Any, _p: Any
    ) -> None:
        if reason.is_failure:
            log.warning("MQTT connection refused: %s", reason)
            return
        client.subscribe(self.topic, qos=1)

    def _on_subscribe(
        self, _client: mqtt.Client, _data: Any, _mid: int, _codes: Any, _p: Any
    ) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.connected.set)

    def _on_message(self, _client: mqtt.Client, _data: Any, message: mqtt.MQTTMessage) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._start_handling, message)

    def _start_handling(self, message: mqtt.MQTTMessage) -> None:
        if self._stopping:  # arrived while stopping: unacknowledged, so delivered again
            return
        task = asyncio.get_running_loop().create_task(self._handle(message))
        self._handling.add(task)
        task.add_done_callback(self._handling.discard)

    async def _handle(self, message: mqtt.MQTTMessage) -> None:
        session = Session()
        decoded = self._decode(message, session)
        if decoded is not None:
            await self._store(decoded, session, f"mqtt:{message.topic}")
        self._client.ack(message.mid, message.qos)

    def _decode(self, message: mqtt.MQTTMessage, session: Session) -> Decoded | None:
        """The message's records, or None once it is counted and logged as never storable."""
        try:
            session.device_id = device_id_from_topic(message.topic)
            return PROTOCOLS["owntracks"].decode(bytes(message.payload), session)
        except DecodeError as exc:
            log.info("OwnTracks message dropped: %s", exc, extra={"mid": message.mid})
        except Exception:  # a decoder bug: the same bytes would fail the same way again
            log.exception("OwnTracks message dropped: the decoder failed on it")
        BAD_FRAMES.labels("owntracks").inc()
        return None

    async def _store(self, decoded: Decoded, session: Session, remote: str) -> None:
        """Returns once the records are stored, however many attempts that takes."""
        delay, attempt = RETRY_FIRST_SECONDS, 1
        while True:
            try:
                await handle(self.pipeline, "owntracks", [decoded], session, remote)
                return
            except Exception:
                STORE_RETRIES.inc()
                log.warning(
                    "OwnTracks fix not stored (attempt %d); retrying in %.1f s",
                    attempt,
                    delay,
                    exc_info=attempt == 1,  # one traceback per outage and message is enough
                    extra={"remote": remote},
                )
            await asyncio.sleep(delay)
            delay, attempt = min(delay * 2, RETRY_MAX_SECONDS), attempt + 1
