"""OwnTracks phones through the real Mosquitto broker.

Mosquitto delivers at most 20 unacknowledged QoS 1 messages to a client (its default
`max_inflight_messages`) and resends them only on reconnect, so every message the listener
gets must end in an ack: these tests send more than 20 bad ones and check what follows.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from prometheus_client import REGISTRY
from sqlalchemy import text

from tests.fleet.live_app import FleetApp, fleet_config, start_fleet_app, wait_for
from tests.services import require_service
from warroom.core.config import Settings
from warroom.fleet.config import FleetConfig
from warroom.fleet.protocols import PROTOCOLS, Decoded, Session

MORE_THAN_IN_FLIGHT = 25  # Mosquitto's default limit of unacknowledged messages is 20
HUGE = int("9" * 400)  # a JSON integer no float can hold


def _mqtt_config() -> FleetConfig:
    """A topic and client id of its own: the broker keeps each client's session."""
    run = uuid.uuid4().hex[:8]
    return fleet_config(
        listeners="",
        mqtt_url="mqtt://127.0.0.1:1883",
        mqtt_topic=f"owntracks/{run}/+",
        mqtt_client_id=f"warroom-test-{run}",
    )


@pytest.fixture
def fleet(settings: Settings) -> Iterator[FleetApp]:
    require_service("Mosquitto", "127.0.0.1", 1883)
    yield from start_fleet_app(settings, _mqtt_config())


@pytest.fixture
def phone() -> Iterator[mqtt.Client]:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"phone-{uuid.uuid4().hex[:6]}")
    client.connect("127.0.0.1", 1883)
    client.loop_start()
    yield client
    client.loop_stop()
    client.disconnect()


def _subscribed_phone(fleet: FleetApp) -> tuple[str, int]:
    """The phone's topic and its registered device id, once the listener is subscribed."""
    topic = fleet.service.config.mqtt_topic.replace("+", "phone")
    device = fleet.register(topic, "owntracks")["device"]
    listener = fleet.service.listeners["owntracks/mqtt"]
    wait_for(lambda: listener.connected.is_set(), "subscribed to the broker")  # type: ignore[attr-defined]
    return topic, int(device["id"])


def _location(n: int, **changes: Any) -> bytes:
    payload = {"_type": "location", "lat": -5.15 + n * 1e-3, "lon": 119.43,
               "tst": int(time.time()) - 600 + 10 * n, "vel": 30, "tid": "ph"}  # fmt: skip
    payload.update(changes)
    return json.dumps(payload).encode()


def _publish(phone: mqtt.Client, topic: str, payload: bytes) -> None:
    phone.publish(topic, payload, qos=1).wait_for_publish(5)


def _metric(name: str, labels: dict[str, str] | None = None) -> float:
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0


def _bad_frames() -> float:
    return _metric("warroom_fleet_bad_frames_total", {"protocol": "owntracks"})


def test_owntracks_location_is_stored(fleet: FleetApp, phone: mqtt.Client) -> None:
    topic, device = _subscribed_phone(fleet)
    for n in range(3):
        _publish(phone, topic, _location(n))
    _publish(phone, topic, b"not json")
    wait_for(lambda: fleet.stored(device) == 3, "three OwnTracks fixes stored")


def test_unrepresentable_numbers_are_dropped_without_stalling_the_next(
    fleet: FleetApp, phone: mqtt.Client
) -> None:
    """The audit's case: a latitude too large for a float, more times than the broker lets
    a client hold unacknowledged; the fixes after them must still arrive."""
    topic, device = _subscribed_phone(fleet)
    before = _bad_frames()
    for n in range(MORE_THAN_IN_FLIGHT):
        _publish(phone, topic, _location(n, lat=HUGE))
    for n in range(3):
        _publish(phone, topic, _location(n))
    wait_for(lambda: fleet.stored(device) == 3, "the fixes after the poison stored")
    assert _bad_frames() - before == MORE_THAN_IN_FLIGHT


def test_a_decoder_failure_is_acknowledged_and_logged(
    fleet: FleetApp,
    phone: mqtt.Client,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A decoder that raises something other than DecodeError would raise again on every
    resend. No real decoder does since the fuzz tests cover them, so a stand-in plays the bug."""
    spec = PROTOCOLS["owntracks"]

    def buggy(message: bytes, session: Session) -> Decoded:
        if b"poison" in message:
            raise RuntimeError("decoder bug")
        return spec.decode(message, session)

    monkeypatch.setitem(PROTOCOLS, "owntracks", dataclasses.replace(spec, decode=buggy))
    topic, device = _subscribed_phone(fleet)
    for n in range(MORE_THAN_IN_FLIGHT):
        _publish(phone, topic, _location(n, t="poison"))
    for n in range(3):
        _publish(phone, topic, _location(n))
    wait_for(lambda: fleet.stored(device) == 3, "the fixes after the poison stored")
    crashes = [r for r in caplog.records if r.name == "warroom.fleet.mqtt" and r.exc_info]
    assert len(crashes) == MORE_THAN_IN_FLIGHT
    assert "decoder bug" in caplog.text


def _rename_positions(fleet: FleetApp, old: str, new: str) -> None:
    with fleet.db.write() as session:
        session.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))


def test_fixes_wait_for_the_database_and_are_stored_when_it_is_back(
    fleet: FleetApp, phone: mqtt.Client, caplog: pytest.LogCaptureFixture
) -> None:
    """A failed store is the database's fault, not the message's: the fix is kept (not
    acknowledged) and stored once the database works again, without a reconnect."""
    topic, device = _subscribed_phone(fleet)
    _rename_positions(fleet, "fleet_positions", "fleet_positions_away")  # every insert fails
    try:
        for n in range(3):
            _publish(phone, topic, _location(n))

        def store_failed() -> bool:
            return any(r.name == "warroom.fleet.mqtt" for r in caplog.records)

        wait_for(store_failed, "the failed store logged")
    finally:
        _rename_positions(fleet, "fleet_positions_away", "fleet_positions")
    wait_for(lambda: fleet.stored(device) == 3, "the three fixes stored after the outage")
    assert "retrying" in caplog.text


def test_fixes_still_waiting_at_shutdown_come_again_at_the_next_start(
    settings: Settings, caplog: pytest.LogCaptureFixture, phone: mqtt.Client
) -> None:
    """Held, not acknowledged: the broker keeps what was not stored when warroom stopped.
    (Acknowledging a failed store to keep the broker delivering would lose these.)"""
    require_service("Mosquitto", "127.0.0.1", 1883)
    config, running = _mqtt_config(), contextlib.contextmanager(start_fleet_app)
    with running(settings, config) as fleet:
        topic, device = _subscribed_phone(fleet)
        _rename_positions(fleet, "fleet_positions", "fleet_positions_away")
        for n in range(3):
            _publish(phone, topic, _location(n))
        wait_for(lambda: "retrying" in caplog.text, "the failed store logged")
    _rename_positions(fleet, "fleet_positions_away", "fleet_positions")
    with running(settings, config) as again:
        wait_for(lambda: again.stored(device) == 3, "the three fixes stored after the restart")
