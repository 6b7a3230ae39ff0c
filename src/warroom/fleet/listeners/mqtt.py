"""OwnTracks over MQTT: subscribe to the broker (Mosquitto) and store what phones publish.

paho-mqtt runs its network loop in its own thread; messages are handed to the event loop.
With QoS 1 the broker's message is acknowledged (manual ack) only after the fix is committed,
so a crash before the commit makes the broker deliver it again.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from warroom.fleet.ingest import BAD_FRAMES, handle
from warroom.fleet.pipeline import Pipeline
from warroom.fleet.protocols import PROTOCOLS, DecodeError, Session
from warroom.fleet.protocols.owntracks import device_id_from_topic

log = logging.getLogger("warroom.fleet.mqtt")


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
        self.connected = asyncio.Event()  # set once the broker confirmed the subscription

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._client.connect_async(self.host, self.port, keepalive=30)
        self._client.loop_start()

    async def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

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

    def _on_message(self, client: mqtt.Client, _data: Any, message: mqtt.MQTTMessage) -> None:
        if self._loop is not None:
            future = asyncio.run_coroutine_threadsafe(self._handle(message), self._loop)
            future.add_done_callback(_log_failure)

    async def _handle(self, message: mqtt.MQTTMessage) -> None:
        session = Session()
        try:
            session.device_id = device_id_from_topic(message.topic)
            decoded = PROTOCOLS["owntracks"].decode(bytes(message.payload), session)
        except DecodeError:
            BAD_FRAMES.labels("owntracks").inc()
            self._client.ack(message.mid, message.qos)  # resending would not fix it
            return
        try:
            await handle(self.pipeline, "owntracks", [decoded], session, f"mqtt:{message.topic}")
        except Exception:
            log.exception("OwnTracks message not stored; the broker will resend it")
            return
        self._client.ack(message.mid, message.qos)


def _log_failure(future: Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("OwnTracks message handling crashed", exc_info=future.exception())
