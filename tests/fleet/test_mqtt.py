"""OwnTracks phones through the real Mosquitto broker."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.fleet.live_app import FleetApp, fleet_config, start_fleet_app, wait_for
from tests.services import require_service
from warroom.core.config import Settings


@pytest.fixture
def fleet(settings: Settings) -> Iterator[FleetApp]:
    require_service("Mosquitto", "127.0.0.1", 1883)
    run = uuid.uuid4().hex[:8]
    config = fleet_config(
        listeners="",
        mqtt_url="mqtt://127.0.0.1:1883",
        mqtt_topic=f"owntracks/{run}/+",
        mqtt_client_id=f"warroom-test-{run}",
    )
    yield from start_fleet_app(settings, config)


def test_owntracks_location_is_stored(fleet: FleetApp) -> None:
    topic = fleet.service.config.mqtt_topic.replace("+", "phone")
    device = fleet.register(topic, "owntracks")["device"]
    listener = fleet.service.listeners["owntracks/mqtt"]
    wait_for(lambda: listener.connected.is_set(), "subscribed to the broker")  # type: ignore[attr-defined]
    phone = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"phone-{uuid.uuid4().hex[:6]}")
    phone.connect("127.0.0.1", 1883)
    phone.loop_start()
    try:
        for n in range(3):
            payload = {"_type": "location", "lat": -5.15 + n * 1e-3, "lon": 119.43,
                       "tst": int(time.time()) - 60 + 10 * n, "vel": 30, "tid": "ph"}  # fmt: skip
            phone.publish(topic, json.dumps(payload), qos=1).wait_for_publish(5)
        phone.publish(topic, b"not json", qos=1).wait_for_publish(5)
        wait_for(lambda: fleet.stored(device["id"]) == 3, "three OwnTracks fixes stored")
    finally:
        phone.loop_stop()
        phone.disconnect()
