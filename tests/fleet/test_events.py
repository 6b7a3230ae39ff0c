"""Vehicle events from real tracker traffic, stored through the outbox with the positions:
online/offline with a delay, overspeed, geofence enter/exit, ignition, trips, alarms."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.fleet.live_app import (
    BASE_TIME,
    FleetApp,
    connect,
    fleet_config,
    receive_exactly,
    start_fleet_app,
    wait_for,
)
from warroom.core.config import Settings
from warroom.core.outbox import OutboxMessage
from warroom.fleet.encoders import SimFix, gt06_login, teltonika_avl, teltonika_login
from warroom.fleet.protocols.crc import crc16_x25

IMEI = "359339071230001"
METERS_PER_DEG_LAT = 111_195.0


@pytest.fixture
def fleet(settings: Settings) -> Iterator[FleetApp]:
    yield from start_fleet_app(settings, fleet_config(offline_after_seconds=1.0))


def topics(fleet: FleetApp) -> list[str]:
    with fleet.db.read() as session:
        return list(session.scalars(select(OutboxMessage.topic).order_by(OutboxMessage.id)))


def fix(second: float, north_m: float, kmh: float, ignition: bool | None = True) -> SimFix:
    return SimFix(
        BASE_TIME + timedelta(seconds=second),
        -5.15 + north_m / METERS_PER_DEG_LAT,
        119.43,
        kmh,
        0.0,
        ignition=ignition,
    )


def send(fleet: FleetApp, fixes: list[SimFix]) -> None:
    with connect(fleet.port("teltonika/tcp")) as sock:
        sock.sendall(teltonika_login(IMEI))
        receive_exactly(sock, 1)
        for chunk in range(0, len(fixes), 10):
            batch = fixes[chunk : chunk + 10]
            sock.sendall(teltonika_avl(batch))
            assert receive_exactly(sock, 4) == len(batch).to_bytes(4, "big")


def test_a_drive_through_a_geofence(fleet: FleetApp) -> None:
    fleet.register(IMEI, "teltonika", speed_limit_kmh=60)
    zone = {"type": "Point", "coordinates": [119.43, -5.15 + 3000 / METERS_PER_DEG_LAT]}
    created = fleet.client.post(
        "/api/fleet/geofences",
        json={"name": "RSUD Daya", "geometry": zone, "radius_m": 300},
        headers=fleet.headers,
    )
    assert created.status_code == 201, created.text
    pipeline = fleet.service.pipeline
    assert pipeline is not None
    wait_for(lambda: bool(pipeline.tracker.fences.names), "geofence loaded")
    parked = [fix(s, 0, 0, ignition=False) for s in range(0, 300, 30)]
    drive = [fix(300 + s, s * 10, 36 if s < 150 else 72) for s in range(0, 600, 10)]
    stop = [fix(900 + s, 6000, 0, ignition=False) for s in range(0, 400, 30)]
    send(fleet, parked + drive + stop)
    seen = topics(fleet)
    for topic in (
        "fleet.device_came_online",
        "fleet.trip_started",
        "fleet.ignition_changed",
        "fleet.geofence_entered",
        "fleet.geofence_exited",
        "fleet.overspeed_detected",
        "fleet.trip_ended",
    ):
        assert topic in seen, topic
    assert seen.count("fleet.overspeed_detected") == 1  # once per episode
    assert seen.index("fleet.geofence_entered") < seen.index("fleet.geofence_exited")


def test_silent_device_goes_offline_after_the_delay(fleet: FleetApp) -> None:
    fleet.register(IMEI, "teltonika")
    send(fleet, [fix(0, 0, 0)])
    wait_for(lambda: "fleet.device_went_offline" in topics(fleet), "offline event", timeout=10)
    assert topics(fleet).count("fleet.device_came_online") == 1


def _gt06_sos_frame() -> bytes:
    body = bytes([26, 11, 27, 0, 0, 5, 0xC9]) + (9_270_000).to_bytes(4, "big")
    body += (214_980_000).to_bytes(4, "big") + bytes([0, 0x10, 0]) + b"\x09" + bytes(8)
    body += bytes([0x02, 4, 3, 0x01, 0x00])  # terminal info, battery, signal, SOS, language
    payload = bytes([len(body) + 5, 0x16]) + body + b"\x00\x05"
    return b"\x78\x78" + payload + crc16_x25(payload).to_bytes(2, "big") + b"\r\n"


def test_gt06_sos_alarm(fleet: FleetApp) -> None:
    fleet.register(IMEI, "gt06")
    with connect(fleet.port("gt06/tcp")) as sock:
        sock.sendall(gt06_login(IMEI, 1))
        receive_exactly(sock, 10)
        sock.sendall(_gt06_sos_frame())
        receive_exactly(sock, 10)
    assert "fleet.alarm_raised" in topics(fleet)


def test_a_resent_sos_raises_one_alarm(fleet: FleetApp) -> None:
    """A device that got no ack sends its SOS again, fix and all: one emergency, not two."""
    device = fleet.register(IMEI, "gt06")["device"]
    for _ in range(2):
        with connect(fleet.port("gt06/tcp")) as sock:
            sock.sendall(gt06_login(IMEI, 1))
            receive_exactly(sock, 10)
            sock.sendall(_gt06_sos_frame())
            receive_exactly(sock, 10)
    assert topics(fleet).count("fleet.alarm_raised") == 1
    assert fleet.stored(device["id"]) == 1
