"""Benchmark: station observations ingested end-to-end through Mosquitto.

    .venv/bin/python benchmarks/weather_ingest.py [--messages 20000] [--stations 200]
        [--kind aws|rain_gauge] [--database-url sqlite:///...|postgresql+psycopg://...]

Needs Mosquitto on 127.0.0.1:1883. Every message is one station report as a station sends it:
with ``--kind aws`` (the default) one automatic weather station report of six quantities (rain,
air temperature, humidity, pressure, wind speed and direction: six observations per message);
with ``--kind rain_gauge`` one rain reading. A separate publisher process sends the messages,
encoded beforehand as raw MQTT 3.1.1 QoS 1 PUBLISH packets, in one burst (it only reads the
PUBACKs), so the subscriber side is what is measured. Measured twice in the same run, with
the same broker, QoS, receive window and the identical packets:

- baseline: a bare paho-mqtt subscriber that only counts what arrives (paho acknowledges each
  message on receipt);
- ingest: the real pipeline: MQTT message -> JSON parse and validation -> QC -> batched insert
  (group commit) -> latest values and threshold alerts -> outbox event relayed to the bus,
  acknowledging each message only after its batch committed.

Rates run from the first publish to the last message counted (baseline) or last reading
committed (ingest). CPU is this process's CPU time over the same span (publisher and broker
excluded): on a shared machine CPU per message is steadier than wall-clock rates. Nothing lost is
taken on trust: each phase counts what arrived (what was stored) against what was published and
stops with an error if the count stalls short of it (Mosquitto drops QoS 1 messages silently
once a subscriber falls tens of thousands of messages behind).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select

from warroom.core import migrate
from warroom.core.audit import SYSTEM
from warroom.core.bus import InMemoryBus
from warroom.core.db import Database
from warroom.core.outbox import OutboxRelay
from warroom.weather import service
from warroom.weather.config import WeatherSettings
from warroom.weather.decode import RejectionLog
from warroom.weather.ingest import Ingestor
from warroom.weather.models import WeatherObservation
from warroom.weather.mqtt import MqttListener, session_properties
from warroom.weather.quantities import DEFAULT_QUANTITIES, StationKind
from warroom.weather.schemas import StationCreate

HOST, PORT = "127.0.0.1", 1883
STALL_SECONDS = 15.0  # no progress for this long: messages were lost
# Most messages published but not yet received (baseline) or committed (ingest). Mosquitto
# drops a subscriber's outgoing packets once more than max_queued_messages (1000 by default) wait
# behind a full socket: about 18,000 of these AWS messages, 31,000 rain readings on loopback here.
# A window well below that measures the subscriber's sustained rate without overrunning the broker.
WINDOW = 8000

# Sends ready PUBLISH packets over one raw socket, never more than the benchmark allows
# (credits on stdin): paho's own publisher tops out near 4,000 QoS 1 messages/s here, which would
# measure the publisher, and an unbounded burst overruns Mosquitto (see ``WINDOW``).
PUBLISHER = r"""
import socket, struct, sys, threading
path, client_id, messages = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3])
data, packets, at = open(path, "rb").read(), [], 0
while at < len(data):
    size = struct.unpack_from("!I", data, at)[0]
    packets.append(data[at + 4:at + 4 + size])
    at += 4 + size
sock = socket.create_connection(("127.0.0.1", 1883))
body = b"\x00\x04MQTT\x04\x02\x00\x3c" + struct.pack("!H", len(client_id)) + client_id
sock.sendall(bytes([0x10, len(body)]) + body)
assert sock.recv(4)[:2] == b"\x20\x02", "broker refused the publisher"
allowed, changed = [0], threading.Condition()

def read_credits():
    for line in sys.stdin:
        with changed:
            allowed[0] = int(line)
            changed.notify()

def read_acks():
    needed = 4 * messages
    while needed > 0:
        chunk = sock.recv(65536)
        if not chunk:
            raise SystemExit("broker closed the connection")
        needed -= len(chunk)

acks = threading.Thread(target=read_acks)
acks.start()
threading.Thread(target=read_credits, daemon=True).start()
print("ready", flush=True)
sent = 0
while sent < messages:
    with changed:
        while allowed[0] <= sent:
            changed.wait()
        upto = min(allowed[0], messages)
    sock.sendall(b"".join(packets[sent:upto]))
    sent = upto
acks.join()
sock.sendall(b"\xe0\x00")
sock.close()
"""


@dataclass(frozen=True)
class Load:
    messages: int
    stations: int
    kind: StationKind

    @property
    def quantities(self) -> tuple[str, ...]:
        return DEFAULT_QUANTITIES[self.kind]

    @property
    def observations(self) -> int:
        return self.messages * len(self.quantities)


@dataclass(frozen=True)
class Phase:
    seconds: float
    cpu_seconds: float
    extra: dict[str, Any]


def report_values(kind: StationKind, step: int) -> dict[str, float]:
    """Plausible readings that change from one report to the next (no stuck-sensor flags)."""
    rain = round((step % 7) * 0.1, 1)
    if kind == "rain_gauge":
        return {"rain_mm": rain}
    return {
        "rain_mm": rain,
        "air_temp_c": round(26.5 + (step % 50) / 10, 1),
        "humidity_pct": 60 + step % 30,
        "pressure_hpa": round(1008 + (step % 9) / 10, 1),
        "wind_speed_kmh": (step % 40) / 2,
        "wind_dir_deg": (step * 7) % 360,
    }


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def publish_packets(prefix: str, load: Load) -> bytes:
    """Every message as a QoS 1 PUBLISH packet, each preceded by its length."""
    start = datetime.now(timezone(timedelta(hours=8))) - timedelta(days=1)
    packets = []
    for i in range(load.messages):
        step = i // load.stations
        when = (start + timedelta(minutes=step)).isoformat(timespec="seconds")
        body = json.dumps({"observed_at": when, "values": report_values(load.kind, step)})
        topic = f"{prefix}/BENCH-{i % load.stations:04d}/observations".encode()
        packet_id = struct.pack("!H", i % 65_535 + 1)  # reused only long after its PUBACK
        rest = struct.pack("!H", len(topic)) + topic + packet_id + body.encode()
        packet = b"\x32" + varint(len(rest)) + rest
        packets.append(struct.pack("!I", len(packet)) + packet)
    return b"".join(packets)


def start_publisher(folder: Path, prefix: str, load: Load) -> subprocess.Popen[str]:
    """A publisher process, connected and waiting for credits."""
    path = folder / f"{uuid.uuid4().hex}.bin"
    path.write_bytes(publish_packets(prefix, load))
    client_id = f"bench-pub-{uuid.uuid4().hex[:8]}"
    process = subprocess.Popen(
        [sys.executable, "-c", PUBLISHER, str(path), client_id, str(load.messages)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    if process.stdout.readline().strip() != "ready":
        raise SystemExit("the publisher did not connect to Mosquitto")
    return process


def drive(
    what: str, publisher: subprocess.Popen[str], progress: Callable[[], int], total: int
) -> None:
    """Let the publisher run ``WINDOW`` messages ahead of ``progress`` until ``total`` arrived;
    fail loudly if progress stalls short of it (lost messages)."""
    assert publisher.stdin is not None
    granted, seen, last_change = 0, -1, time.monotonic()
    while (done := progress()) < total:
        if granted < total and done + WINDOW // 2 > granted:
            granted = min(total, done + WINDOW)
            publisher.stdin.write(f"{granted}\n")
            publisher.stdin.flush()
        if done != seen:
            seen, last_change = done, time.monotonic()
        elif time.monotonic() - last_change > STALL_SECONDS:
            raise SystemExit(
                f"{what}: {done} of {total} messages arrived and nothing more for "
                f"{STALL_SECONDS:.0f} s: lost (see Mosquitto's log: 'messages are being dropped')"
            )
        time.sleep(0.002)
    publisher.stdin.close()
    if publisher.wait(30) != 0:
        raise SystemExit(f"{what}: the publisher failed")


def bare_phase(folder: Path, load: Load) -> Phase:
    prefix = f"bench/{uuid.uuid4().hex[:8]}"
    received, finished = [0], [0.0]

    def on_message(_c: paho.Client, _u: object, _m: paho.MQTTMessage) -> None:
        received[0] += 1
        if received[0] == load.messages:
            finished[0] = time.perf_counter()

    client = paho.Client(
        CallbackAPIVersion.VERSION2, client_id=f"bare-{uuid.uuid4().hex[:6]}", protocol=paho.MQTTv5
    )
    client.on_message = on_message
    properties = session_properties()  # the listener's receive window
    properties.SessionExpiryInterval = 0  # nothing to keep once the run is over
    client.connect(HOST, PORT, clean_start=True, properties=properties)
    client.subscribe(f"{prefix}/+/observations", qos=1)
    client.loop_start()
    publisher = start_publisher(folder, prefix, load)
    time.sleep(0.3)  # the subscription is in place before the first message
    started, cpu_started = time.perf_counter(), time.process_time()
    drive("baseline", publisher, lambda: received[0], load.messages)
    cpu = time.process_time() - cpu_started
    client.disconnect()
    client.loop_stop()
    return Phase(finished[0] - started, cpu, {})


def stored(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(WeatherObservation)) or 0)


def prepare(url: str, load: Load) -> Database:
    db = Database(url)
    migrate.upgrade(db)
    with db.write() as session:
        for i in range(load.stations):
            data = StationCreate(
                code=f"BENCH-{i:04d}",
                name=f"Bench station {i}",
                kind=load.kind,
                lat=-5.08 - (i % 20) * 0.007,
                lon=119.40 + (i // 20) * 0.012,
                interval_seconds=60,
            )
            service.create_station(session, data=data, actor=SYSTEM)
    return db


def ingest_phase(folder: Path, db: Database, load: Load) -> Phase:
    prefix = f"bench/{uuid.uuid4().hex[:8]}"
    settings = WeatherSettings(
        mqtt_url=f"mqtt://{HOST}:{PORT}",
        mqtt_topic_prefix=prefix,
        mqtt_client_id=f"bench-ingest-{uuid.uuid4().hex[:6]}",
    )
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    bus = InMemoryBus()
    asyncio.run_coroutine_threadsafe(bus.start(), loop).result()
    relay = OutboxRelay(db, bus)
    asyncio.run_coroutine_threadsafe(relay.start(), loop).result()
    events = [0]

    async def count(_event: object) -> None:
        events[0] += 1

    asyncio.run_coroutine_threadsafe(
        bus.subscribe(count, topics=["weather.observations_ingested"]), loop
    ).result()

    def wake_relay() -> None:
        loop.call_soon_threadsafe(relay.notify)

    ingestor = Ingestor(db, settings, on_commit=wake_relay)
    rejections = RejectionLog()
    listener = MqttListener(settings, ingestor, rejections)
    listener.start()
    if not listener.connected.wait(10):
        raise SystemExit("ingest: the listener did not connect to Mosquitto")
    publisher = start_publisher(folder, prefix, load)
    time.sleep(0.3)
    started, cpu_started = time.perf_counter(), time.process_time()
    drive("ingest", publisher, lambda: listener.committed, load.messages)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    listener.stop()
    if (kept := stored(db)) != load.observations:
        raise SystemExit(f"ingest: {kept} readings stored, {load.observations} published")
    forget_session(settings.mqtt_client_id)
    asyncio.run_coroutine_threadsafe(relay.stop(), loop).result()
    asyncio.run_coroutine_threadsafe(bus.close(), loop).result()
    loop.call_soon_threadsafe(loop.stop)
    extra = {"batches": listener.batches, "bus_events": events[0], "rejected": rejections.total}
    return Phase(elapsed, cpu, extra)


def forget_session(client_id: str) -> None:
    """Drop the listener's persistent session so bench runs leave nothing in the broker."""
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5)
    client.connect(HOST, PORT, clean_start=True)  # no expiry property: gone on disconnect
    client.disconnect()


def summary(load: Load, database: str, bare: Phase, ingest: Phase) -> dict[str, Any]:
    per_message = len(load.quantities)
    return {
        "benchmark": "weather_ingest_mqtt",
        "database": database,
        "messages": load.messages,
        "stations": load.stations,
        "message_carries": f"one {load.kind} report of {per_message} observation(s)",
        "observations": load.observations,
        "ingest_messages_per_s": round(load.messages / ingest.seconds),
        "ingest_observations_per_s": round(load.observations / ingest.seconds),
        "baseline_bare_mqtt_messages_per_s": round(load.messages / bare.seconds),
        "ratio_ingest_to_bare": round(bare.seconds / ingest.seconds, 3),
        "ingest_cpu_us_per_message": round(ingest.cpu_seconds / load.messages * 1e6, 1),
        "baseline_cpu_us_per_message": round(bare.cpu_seconds / load.messages * 1e6, 1),
        "ratio_cpu_bare_to_ingest": round(bare.cpu_seconds / ingest.cpu_seconds, 3),
        **ingest.extra,
        "target_observations_per_s": 5000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--stations", type=int, default=200)
    parser.add_argument("--kind", choices=["aws", "rain_gauge"], default="aws")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    load = Load(args.messages, args.stations, args.kind)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        db = prepare(args.database_url or f"sqlite:///{folder / 'bench.db'}", load)
        bare = bare_phase(folder, load)
        ingest = ingest_phase(folder, db, load)
        database = db.engine.dialect.name
        db.dispose()
    print(json.dumps(summary(load, database, bare, ingest), indent=2))


if __name__ == "__main__":
    main()
