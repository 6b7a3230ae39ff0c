"""Benchmark: station observations ingested end-to-end through Mosquitto.

    .venv/bin/python benchmarks/weather_ingest.py [--messages 50000] [--stations 200]
        [--database-url sqlite:///...|postgresql+psycopg://...]

Needs Mosquitto on 127.0.0.1:1883. A separate publisher process sends ``--messages`` QoS 1
reports (one reading each) as fast as it can. Measured twice in the same run:

- baseline: a bare paho-mqtt subscriber (QoS 1) that only counts what arrives;
- ingest: the real pipeline: MQTT message -> JSON parse and validation -> QC -> batched Core
  insert (group commit) -> latest-value upsert and threshold evaluation -> outbox event relayed
  to the bus, acknowledging each message after its batch committed.

Both rates are messages from the first publish to the last message counted (baseline) or
committed (ingest). Prints one JSON object with both and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

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
from warroom.weather.schemas import StationCreate

HOST, PORT = "127.0.0.1", 1883

# A raw MQTT 3.1.1 load generator: paho's own publisher tops out near 4,000 QoS 1 messages/s
# on this kind of machine, which would measure the publisher instead of the ingest path.
PUBLISHER = r"""
import json, socket, struct, sys, threading
from datetime import datetime, timedelta, timezone
prefix, messages, stations = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
assert messages < 65535, "packet ids must not wrap"

def varint(n):
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)

def text(s):
    b = s.encode()
    return struct.pack("!H", len(b)) + b

start = datetime.now(timezone(timedelta(hours=8))) - timedelta(days=1)
packets = []
for i in range(messages):
    when = (start + timedelta(seconds=60 * (i // stations))).isoformat(timespec="seconds")
    values = {"rain_mm": round((i % 7) * 0.1, 1)}
    body = json.dumps({"observed_at": when, "values": values}).encode()
    rest = text(f"{prefix}/BENCH-{i % stations:04d}/observations") + struct.pack("!H", i + 1) + body
    packets.append(b"\x32" + varint(len(rest)) + rest)
sock = socket.create_connection(("127.0.0.1", 1883))
client_id = text(prefix.replace("/", "-") + "-pub")
connect = text("MQTT") + bytes([4, 2]) + struct.pack("!H", 60) + client_id
sock.sendall(b"\x10" + varint(len(connect)) + connect)
assert sock.recv(4)[:2] == b"\x20\x02"

def read_acks():
    needed = 4 * messages
    while needed > 0:
        chunk = sock.recv(65536)
        if not chunk:
            raise SystemExit("broker closed the connection")
        needed -= len(chunk)

reader = threading.Thread(target=read_acks)
print("ready", flush=True)
sys.stdin.readline()
reader.start()
for i in range(0, messages, 500):
    sock.sendall(b"".join(packets[i:i + 500]))
reader.join()
sock.sendall(b"\xe0\x00")
sock.close()
"""


def publish(prefix: str, messages: int, stations: int) -> tuple[subprocess.Popen[str], float]:
    """Start the publisher, let it build its payloads, then release it; returns its start."""
    process = subprocess.Popen(
        [sys.executable, "-c", PUBLISHER, prefix, str(messages), str(stations)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    started = time.perf_counter()
    process.stdin.write("go\n")
    process.stdin.flush()
    return process, started


def bare_rate(messages: int, stations: int) -> float:
    prefix = f"bench/{uuid.uuid4().hex[:8]}"
    received, done = [0], threading.Event()
    finished = [0.0]

    def on_message(_c: paho.Client, _u: object, _m: paho.MQTTMessage) -> None:
        received[0] += 1
        if received[0] == messages:
            finished[0] = time.perf_counter()
            done.set()

    client = paho.Client(
        CallbackAPIVersion.VERSION2, client_id=f"bare-{uuid.uuid4().hex[:6]}", protocol=paho.MQTTv5
    )
    client.on_message = on_message
    client.connect(HOST, PORT, clean_start=True, properties=session_properties())
    client.subscribe(f"{prefix}/+/observations", qos=1)
    client.loop_start()
    time.sleep(0.5)
    process, started = publish(prefix, messages, stations)
    if not done.wait(300):
        raise SystemExit(f"baseline: only {received[0]} of {messages} messages arrived")
    process.wait()
    client.disconnect()
    client.loop_stop()
    return messages / (finished[0] - started)


def stored(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(WeatherObservation)) or 0)


def prepare(url: str, stations: int) -> Database:
    db = Database(url)
    migrate.upgrade(db)
    with db.write() as session:
        for i in range(stations):
            data = StationCreate(
                code=f"BENCH-{i:04d}",
                name=f"Bench gauge {i}",
                kind="rain_gauge",
                lat=-5.08 - (i % 20) * 0.007,
                lon=119.40 + (i // 20) * 0.012,
                interval_seconds=60,
            )
            service.create_station(session, data=data, actor=SYSTEM)
    return db


def ingest_rate(db: Database, messages: int, stations: int) -> dict[str, float]:
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
    ingestor = Ingestor(db, settings, on_commit=lambda: loop.call_soon_threadsafe(relay.notify))
    listener = MqttListener(settings, ingestor, RejectionLog())
    listener.start()
    if not listener.connected.wait(10):
        raise SystemExit("ingest: the listener did not connect to Mosquitto")
    time.sleep(0.5)
    process, started = publish(prefix, messages, stations)
    deadline = time.monotonic() + 600
    while stored(db) < messages:
        if time.monotonic() > deadline:
            raise SystemExit(f"ingest: only {stored(db)} of {messages} readings were stored")
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    process.wait()
    listener.stop()
    asyncio.run_coroutine_threadsafe(relay.stop(), loop).result()
    return {"rate": messages / elapsed, "batches": listener.batches, "bus_events": events[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--stations", type=int, default=200)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        db = prepare(url, args.stations)
        baseline = bare_rate(args.messages, args.stations)
        result = ingest_rate(db, args.messages, args.stations)
        database = db.engine.dialect.name
        db.dispose()
    print(
        json.dumps(
            {
                "benchmark": "weather_ingest_mqtt",
                "messages": args.messages,
                "stations": args.stations,
                "database": database,
                "ingest_observations_per_s": round(result["rate"]),
                "baseline_bare_mqtt_per_s": round(baseline),
                "ratio_ingest_to_bare": round(result["rate"] / baseline, 3),
                "batches": result["batches"],
                "bus_events": result["bus_events"],
                "target_per_s": 5000,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
