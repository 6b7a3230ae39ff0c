"""MQTT listener: stations publish reports to ``<prefix>/<station code>/observations``.

paho-mqtt's network thread only queues messages; a worker thread takes them in batches, runs
them through the ingest pipeline and acknowledges them (QoS 1, manual acks) only after the batch
committed. The session is persistent, so messages unacknowledged at a crash or during a database
outage come back. A payload that can never be stored (malformed JSON, unknown station) is logged,
counted, acknowledged and dropped: redelivering it would not fix it.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from warroom.weather.config import WeatherSettings
from warroom.weather.decode import PayloadError, RejectionLog, decode
from warroom.weather.ingest import Ingestor
from warroom.weather.schemas import ObservationIn

log = logging.getLogger("warroom.weather.mqtt")
RETRY_SECONDS = 2.0
RECEIVE_MAXIMUM = 65_535  # the most MQTT 5 allows


@dataclass(frozen=True)
class _Message:
    topic: str
    payload: bytes
    mid: int
    qos: int


def broker_address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme != "mqtt" or not parts.hostname:
        raise ValueError(f"broker URL {url!r} must look like mqtt://host:1883")
    return parts.hostname, parts.port or 1883


class MqttListener:
    def __init__(self, settings: WeatherSettings, ingestor: Ingestor, rejections: RejectionLog):
        self._settings, self._ingestor, self._rejections = settings, ingestor, rejections
        self._queue: queue.Queue[_Message] = queue.Queue(maxsize=100_000)
        self._stop = threading.Event()
        self._worker = threading.Thread(target=self._run, name="weather-mqtt-ingest", daemon=True)
        self._client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=settings.mqtt_client_id,
            protocol=paho.MQTTv5,
            manual_ack=True,
        )
        if settings.mqtt_username:
            self._client.username_pw_set(settings.mqtt_username, settings.mqtt_password or None)
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message
        self.connected = threading.Event()
        self.batches = 0
        self.received = 0  # messages taken from the broker
        self.committed = 0  # messages acknowledged after their batch committed

    @property
    def topic(self) -> str:
        return f"{self._settings.mqtt_topic_prefix}/+/observations"

    def start(self) -> None:
        host, port = broker_address(self._settings.mqtt_url)
        self._client.connect_async(
            host, port, keepalive=30, clean_start=False, properties=session_properties()
        )
        self._client.loop_start()
        self._worker.start()

    def stop(self) -> None:
        """Finish the batch in hand, then disconnect; queued but unacknowledged messages stay
        with the broker for the next start."""
        self._stop.set()
        self._worker.join(timeout=10)
        self._client.disconnect()
        self._client.loop_stop()

    def _on_connect(
        self, client: paho.Client, _u: object, _f: object, reason: object, _p: object
    ) -> None:
        if getattr(reason, "is_failure", False):
            log.error("MQTT broker refused the connection", extra={"reason": str(reason)})
            return
        client.subscribe(self.topic, qos=1)
        self.connected.set()
        log.info("weather listener subscribed", extra={"topic": self.topic})

    def _on_message(self, _c: paho.Client, _u: object, message: paho.MQTTMessage) -> None:
        self.received += 1
        self._queue.put(_Message(message.topic, bytes(message.payload), message.mid, message.qos))

    def _run(self) -> None:
        while not self._stop.is_set():
            batch = self._take_batch()
            while batch and not self._commit(batch):
                if self._stop.wait(RETRY_SECONDS):
                    return

    def _take_batch(self) -> list[_Message]:
        try:
            first = self._queue.get(timeout=0.2)
        except queue.Empty:
            return []
        batch, deadline = [first], time.monotonic() + self._settings.batch_wait_seconds
        while len(batch) < self._settings.batch_size:
            remaining = deadline - time.monotonic()
            try:
                batch.append(
                    self._queue.get(timeout=remaining)
                    if remaining > 0
                    else self._queue.get_nowait()
                )
            except queue.Empty:
                break
        return batch

    def _commit(self, batch: list[_Message]) -> bool:
        reports: list[tuple[str, ObservationIn]] = []
        for message in batch:
            reports.extend(self._decode(message))
        try:
            result = self._ingestor.ingest(reports)
        except Exception:
            log.exception("weather batch not stored; will retry", extra={"size": len(batch)})
            return False
        for reason in result.rejected:
            self._rejections.add("mqtt", "", reason)
        for message in batch:
            if message.qos:
                self._client.ack(message.mid, message.qos)
        self.batches += 1
        self.committed += len(batch)
        return True

    def _decode(self, message: _Message) -> list[tuple[str, ObservationIn]]:
        code = station_code(self._settings.mqtt_topic_prefix, message.topic)
        try:
            return [(code, report) for report in decode(message.payload)]
        except PayloadError as exc:
            log.warning("weather payload refused", extra={"station": code, "error": str(exc)})
            self._rejections.add("mqtt", code, str(exc))
            return []


def session_properties(receive_maximum: int = RECEIVE_MAXIMUM) -> Properties:
    """A persistent session (unacknowledged messages survive a restart for a day) and a large
    receive window: the broker may have that many messages in flight to us, so bursts are not
    parked in its per-client queue, which Mosquitto caps at 1000 by default and then drops.
    Mosquitto also discards in-flight packets once 1000 wait behind a full socket (a burst tens
    of thousands of messages ahead of us); those stay unacknowledged in the session and come back
    at the next connect, so they are late, not lost. Brokers for many stations should raise
    ``max_queued_messages`` (see docs/BENCHMARKS.md, Weather)."""
    properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    properties.SessionExpiryInterval = 86_400
    properties.ReceiveMaximum = receive_maximum
    return properties


def station_code(prefix: str, topic: str) -> str:
    """``<prefix>/<code>/observations`` -> ``<code>``."""
    return topic.removeprefix(prefix + "/").removesuffix("/observations")
