"""GT06 4G and H02 binary frames through the real TCP listeners into the database: what is
stored is acknowledged, what is not understood is not, and both H02 forms share a connection."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from tests.fleet import live_app
from tests.fleet.live_app import FleetApp, connect, receive_exactly
from warroom.core.config import Settings
from warroom.fleet import encoders
from warroom.fleet.encoders import SimFix
from warroom.fleet.protocols.crc import crc16_x25
from warroom.fleet.protocols.gt06 import make_reply

IMEI = "359339071234568"
H02_ID = "4210000002"


@pytest.fixture
def fleet(settings: Settings) -> Iterator[FleetApp]:
    yield from live_app.start_fleet_app(settings, live_app.fleet_config())


def fix_at(index: int) -> SimFix:
    return SimFix(
        live_app.BASE_TIME + timedelta(seconds=10 * index), -5.1477 + index * 0.0005, 119.4327, 20
    )


def gt06_frame(kind: int, body: bytes, serial: int) -> bytes:
    payload = bytes([len(body) + 5, kind]) + body + serial.to_bytes(2, "big")
    return b"\x78\x78" + payload + crc16_x25(payload).to_bytes(2, "big") + b"\r\n"


def test_gt06_4g_positions_are_acked_and_unknown_types_are_not(fleet: FleetApp) -> None:
    device = fleet.register(IMEI, "gt06")["device"]
    with connect(fleet.port("gt06/tcp")) as sock:
        sock.sendall(encoders.gt06_login(IMEI, 1))
        assert receive_exactly(sock, 10) == make_reply(0x01, b"\x00\x01")
        unknown = gt06_frame(0x2C, bytes(20), serial=2)  # LBS and Wi-Fi only: not decoded
        sock.sendall(unknown + encoders.gt06_position_4g(fix_at(0), 3))
        # The first bytes back are the position's ack: the unknown frame got none.
        assert receive_exactly(sock, 10) == make_reply(0xA0, b"\x00\x03")
        sock.sendall(gt06_frame(0x8A, b"", serial=4))
        assert receive_exactly(sock, 16)[:4] == bytes.fromhex("78780b8a")
    assert fleet.stored(device["id"]) == 1


def test_h02_text_and_binary_frames_on_one_connection_are_stored(fleet: FleetApp) -> None:
    device = fleet.register(H02_ID, "h02")["device"]
    text, binary = encoders.h02_position, encoders.h02_binary_position
    with connect(fleet.port("h02/tcp")) as sock:
        sock.sendall(text(H02_ID, fix_at(0)) + binary(H02_ID, fix_at(1)))
        sock.sendall(binary(H02_ID, fix_at(2))[:10])  # the rest comes in the next read
        sock.sendall(binary(H02_ID, fix_at(2))[10:] + text(H02_ID, fix_at(3)))
        live_app.wait_for(lambda: fleet.stored(device["id"]) == 4, "text and binary fixes stored")
