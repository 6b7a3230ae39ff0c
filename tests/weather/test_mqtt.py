"""Stations publishing through the real Mosquitto broker on 127.0.0.1:1883."""

from __future__ import annotations

import json
import select as io_select
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from fastapi.testclient import TestClient
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select

from tests.conftest import make_settings
from tests.services import require_service
from tests.weather.conftest import make_station, recent, wait_for
from warroom.core.db import Database
from warroom.weather.config import WeatherSettings
from warroom.weather.decode import RejectionLog
from warroom.weather.ingest import Ingestor
from warroom.weather.models import WeatherObservation
from warroom.weather.mqtt import MqttListener
from warroom.web.app import create_app


@pytest.fixture
def mqtt_app(db_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    require_service("Mosquitto", "127.0.0.1", 1883)
    prefix = f"test/{uuid.uuid4().hex[:8]}/weather"
    app = create_app(make_settings(db_url, tmp_path))
    app.state.weather_settings = WeatherSettings(
        mqtt_url="mqtt://127.0.0.1:1883",
        mqtt_topic_prefix=prefix,
        mqtt_client_id=f"test-{uuid.uuid4().hex[:8]}",
        batch_wait_seconds=0.02,
    )
    with TestClient(app) as client:
        wait_for(app.state.weather_listener.connected.is_set, what="listener subscribed")
        yield client, prefix


def _publish(prefix: str, messages: list[tuple[str, bytes]]) -> None:
    publisher = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:8]}")
    publisher.connect("127.0.0.1", 1883)
    publisher.loop_start()
    for station, payload in messages:
        publisher.publish(f"{prefix}/{station}/observations", payload, qos=1).wait_for_publish(5)
    publisher.disconnect()
    publisher.loop_stop()


def _stored(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(WeatherObservation)) or 0)


def test_reports_arrive_through_the_broker(mqtt_app: tuple[TestClient, str]) -> None:
    client, prefix = mqtt_app
    db: Database = client.app.state.db  # type: ignore[attr-defined]
    make_station(db, kind="aws", code="AWS-01")
    client.app.state.weather_ingestor.invalidate()  # type: ignore[attr-defined]
    good = {"observed_at": recent().isoformat(), "values": {"air_temp_c": 30.1, "rain_mm": 0}}
    catching_up = [
        {"observed_at": recent(10 - i).isoformat(), "values": {"humidity_pct": 70 + i}}
        for i in range(3)
    ]
    _publish(
        prefix,
        [
            ("AWS-01", json.dumps(good).encode()),
            ("AWS-01", json.dumps(catching_up).encode()),
            ("AWS-01", b"{not json"),
            ("AWS-01", json.dumps({"observed_at": "yesterday", "values": {"rain_mm": 1}}).encode()),
            ("GHOST", json.dumps(good).encode()),
        ],
    )
    wait_for(lambda: _stored(db) == 5, what="5 readings stored")
    rejections = client.app.state.weather_rejections  # type: ignore[attr-defined]
    wait_for(lambda: rejections.total == 3, what="3 rejections")
    reasons = " | ".join(r.reason for r in rejections.recent())
    assert "unknown station 'GHOST'" in reasons and "Invalid JSON" in reasons
    assert "observed_at" in reasons


# A listener process whose database is down: it takes the messages from the broker but can never
# commit them, so it must never acknowledge them either.
_DOOMED_LISTENER = r"""
import sys, time
from warroom.core.db import Database
from warroom.weather.config import WeatherSettings
from warroom.weather.decode import RejectionLog
from warroom.weather.ingest import Ingestor
from warroom.weather.mqtt import MqttListener

prefix, client_id, expected = sys.argv[1], sys.argv[2], int(sys.argv[3])
settings = WeatherSettings(
    mqtt_url="mqtt://127.0.0.1:1883", mqtt_topic_prefix=prefix, mqtt_client_id=client_id
)
database = Database("postgresql+psycopg://postgres@127.0.0.1:1/nothing_listens_here")
listener = MqttListener(settings, Ingestor(database, settings), RejectionLog())
listener.start()
assert listener.connected.wait(10)
print("subscribed", flush=True)
while listener.received < expected:
    time.sleep(0.01)
print("received", flush=True)
time.sleep(600)
"""


def _expect_line(process: subprocess.Popen[str], line: str, timeout: float = 20) -> None:
    assert process.stdout is not None
    ready, _, _ = io_select.select([process.stdout], [], [], timeout)
    assert ready and process.stdout.readline().strip() == line, f"child never said {line!r}"


def _forget_session(client_id: str) -> None:
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5)
    client.connect("127.0.0.1", 1883, clean_start=True)
    client.disconnect()


def test_messages_taken_but_not_committed_come_back_after_a_crash(db: Database) -> None:
    require_service("Mosquitto", "127.0.0.1", 1883)
    make_station(db)
    prefix, client_id = f"test/{uuid.uuid4().hex[:8]}/weather", f"test-{uuid.uuid4().hex[:8]}"
    reports = [
        (
            "ARG-01",
            json.dumps({"observed_at": recent(60 - i).isoformat(), "values": {"rain_mm": 0.2}}),
        )
        for i in range(30)
    ]
    child = subprocess.Popen(
        [sys.executable, "-c", _DOOMED_LISTENER, prefix, client_id, str(len(reports))],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        _expect_line(child, "subscribed")
        _publish(prefix, [(station, body.encode()) for station, body in reports])
        _expect_line(child, "received")
    finally:
        child.kill()  # SIGKILL: no clean disconnect, no last batch
        child.wait()
    assert _stored(db) == 0
    settings = WeatherSettings(
        mqtt_url="mqtt://127.0.0.1:1883", mqtt_topic_prefix=prefix, mqtt_client_id=client_id
    )
    listener = MqttListener(settings, Ingestor(db, settings), RejectionLog())
    listener.start()
    try:
        wait_for(lambda: _stored(db) == len(reports), what="redelivered readings stored")
        time.sleep(0.2)  # anything delivered twice would be counted by now
        assert listener.received == len(reports) and _stored(db) == len(reports)
    finally:
        listener.stop()
        _forget_session(client_id)
