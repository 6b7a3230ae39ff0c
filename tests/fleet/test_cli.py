"""`warroom fleet decode` and `protocols` through typer's CliRunner."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.fleet import vectors
from warroom.fleet.cli import fleet_app

VECTORS = vectors.load()
LOGIN = "78780D01086471700328358100093F040D0A"
POSITION = "78781f120f0a140e150bc505e51e780293a9e800540000f601006e0055da00035f240d0a"
HUGE = "9" * 400  # a JSON integer no float can hold
HUGE_LATITUDE = f'{{"_type": "location", "lat": {HUGE}, "lon": 1, "tst": 1, "tid": "ab"}}'
HUGE_ODOMETER = (
    '{"device_id": "1", "location": {"timestamp": "2021-07-21T08:06:34Z", '
    f'"coords": {{"latitude": 1, "longitude": 2}}, "odometer": {HUGE}}}}}'
)
runner = CliRunner()


def _run(*args: str) -> Any:
    return runner.invoke(fleet_app, ["decode", *args])


def _lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines()]


@pytest.mark.parametrize("vector", VECTORS, ids=[vector["id"] for vector in VECTORS])
def test_vector_through_cli(vector: dict[str, Any]) -> None:
    result = _run(vector["protocol"], vector["message"])
    if vector["expect"] == "error":
        assert result.exit_code == 2
        assert result.stderr.startswith("error: ")
        return
    assert result.exit_code == 0, result.stderr
    assert vectors.mismatches(vector["expect"], _lines(result.stdout)) == []


def test_position_json_has_every_documented_key() -> None:
    result = _run("gt06", POSITION)
    (line,) = _lines(result.stdout)
    assert set(line) >= {
        "kind",
        "device_id",
        "time",
        "valid",
        "lat",
        "lon",
        "speed_kmh",
        "course",
        "altitude",
        "satellites",
        "attributes",
    }


def test_login_then_position_share_the_session() -> None:
    result = _run("gt06", LOGIN, POSITION)
    login, position = _lines(result.stdout)
    assert login == {
        "kind": "login",
        "device_id": "864717003283581",
        "reply_hex": "78780501000955940d0a",
    }
    assert position["device_id"] == "864717003283581"


def test_several_frames_in_one_hex_capture_with_spaces() -> None:
    result = _run("gt06", f"{LOGIN} {POSITION.upper()}")
    assert [line["kind"] for line in _lines(result.stdout)] == ["login", "position"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("gt06", "78780d01zz"), "not hex"),
        (("gt06", "787"), "not hex"),
        (("nosuch", "abc"), "unknown protocol"),
        (("gt06", LOGIN[:20]), "truncated frame"),
        (("gt06", "ffff" + LOGIN), "not part of any gt06 frame"),
        (("teltonika", "000000000000003608"), "truncated frame"),
        (
            ("nmea", "$GPRMC,154403.000,A,6311.64120,N,01438.02740,E,0.000,0.0,270707,,*0B"),
            "checksum",
        ),
        (("osmand", "/?lat=1&lon=2"), "no device id"),
        (("owntracks", "{not json"), "not valid JSON"),
        (("owntracks", HUGE_LATITUDE), "OwnTracks lat is too large: a 400-digit integer"),
        (("owntracks", HUGE_LATITUDE.replace('"tst": 1', f'"tst": {HUGE}')), "tst is too large"),
        (("osmand", HUGE_ODOMETER), "OsmAnd location odometer is too large"),
        (("osmand", f"/?id=1&lat=1&lon=2&timestamp={HUGE}"), "timestamp out of range"),
        (("tk103", "--udp", "(1BR00)"), "no UDP"),
    ],
)
def test_malformed_input_exits_2_with_a_message(args: tuple[str, ...], message: str) -> None:
    result = _run(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_huge_integer_from_the_shell_is_one_error_line_and_exit_2() -> None:
    """The real command, not CliRunner: an uncaught exception there would print Python's
    traceback and exit 1, which CliRunner only reports as `result.exception`."""
    result = subprocess.run(
        [sys.executable, "-m", "warroom", "fleet", "decode", "owntracks", HUGE_LATITUDE],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: OwnTracks lat is too large")


def test_message_without_records_says_so() -> None:
    result = _run("h02", "*HQ,353505510948929,V1,,V,,N,,E,0.00,0,,FFFFF7FF#")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "no record" in result.stderr


def test_protocols_lists_ports() -> None:
    result = runner.invoke(fleet_app, ["protocols"])
    assert result.exit_code == 0
    assert "teltonika   5027 tcp/udp" in result.stdout
