"""`warroom fleet decode` for the GT06 4G/time/info frames and H02 binary `$` frames.

Frames come from Traccar's Gt06ProtocolDecoderTest and H02ProtocolDecoderTest (the GT06 4G
position from the sushantjagtap5543/track fork of Traccar, which carries the newer cases).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from typer.testing import CliRunner

from warroom.fleet.cli import fleet_app

GT06_LOGIN = "78780D01086471700328358100093F040D0A"
GT06_4G_POSITION = (
    "787829a01707150f2d0ecd01635100041e96d000087c02d4020000912e000000000718798d000e0006ed3ce50d0a"
)
GT06_TIME_REQUEST = "7878058A000688290D0A"
GT06_INFO = "79790007940B010A0B5ACE0D0A"
GT06_LBS_ONLY = "787819a501cc0000009191000000000906170304050400010005f44d0d0a"
H02_BINARY = (
    "24410600082621532131081504419390060740418306000000fffffbfdff0015060000002c02dc0c000000001f"
)
H02_TEXT = "*HQ,4210051415,V1,164549,A,0956.3869,N,08406.7068,W,000.00,000,221215,FFFFFBFF#"
runner = CliRunner()


def _decode(*args: str) -> list[dict[str, Any]]:
    result = runner.invoke(fleet_app, ["decode", *args])
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_gt06_4g_position_after_login_is_shown_with_its_ack() -> None:
    login, position = _decode("gt06", GT06_LOGIN, GT06_4G_POSITION)
    assert login["kind"] == "login"
    assert position["kind"] == "position"
    assert position["device_id"] == "864717003283581"
    assert position["attributes"]["cid"] == 0x718798D
    assert position["reply_hex"].startswith("787805a006ed")


def test_gt06_time_request_shows_the_time_reply() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    (line,) = _decode("gt06", GT06_TIME_REQUEST)
    reply = bytes.fromhex(line["reply_hex"])
    assert line["kind"] == "ack"
    assert reply[:4] == bytes.fromhex("78780b8a")
    assert datetime(2000 + reply[4], *reply[5:10], tzinfo=UTC) >= before


def test_gt06_information_packet_is_a_heartbeat_without_reply() -> None:
    (line,) = _decode("gt06", GT06_INFO)
    assert line == {
        "kind": "heartbeat",
        "device_id": None,
        "attributes": {"info_type": 11, "network": "4G"},
    }


def test_gt06_unsupported_type_is_an_error_not_an_ack() -> None:
    result = runner.invoke(fleet_app, ["decode", "gt06", GT06_LBS_ONLY])
    assert result.exit_code == 2
    assert "0xa5 is not supported" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("udp", [[], ["--udp"]], ids=["tcp", "udp"])
def test_h02_binary_frame_as_hex(udp: list[str]) -> None:
    (line,) = _decode("h02", *udp, H02_BINARY)
    assert line["kind"] == "position"
    assert line["device_id"] == "4106000826"
    assert line["time"] == "2015-08-31T21:53:21Z"
    assert (line["lat"], line["lon"]) == pytest.approx((4.69898, -74.06971), abs=1e-5)
    assert "reply_hex" not in line


def test_h02_text_and_binary_in_one_call() -> None:
    text, binary = _decode("h02", H02_TEXT, H02_BINARY.upper())
    assert (text["device_id"], binary["device_id"]) == ("4210051415", "4106000826")


def test_h02_broken_binary_frame_is_a_clear_error() -> None:
    result = runner.invoke(fleet_app, ["decode", "h02", H02_BINARY[:40]])
    assert result.exit_code == 2
    assert "binary frame has 20 bytes, needs 32" in result.stderr
