"""`warroom geo ...` through typer's CliRunner: JSON on stdout, one-line errors, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from warroom.geo.cli import geo_app

runner = CliRunner()


def test_route_with_osm_file_prints_json(small_osm: Path) -> None:
    result = runner.invoke(
        geo_app, ["route", "-5.141,119.412", "-5.141,119.41", "--osm", str(small_osm)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["seconds"] == pytest.approx(48.0, abs=0.2)  # round the one-way block
    assert data["geometry"]["type"] == "LineString"
    assert data["geometry"]["coordinates"][0] == pytest.approx([119.412, -5.141])


def test_route_without_osm_uses_the_labelled_synthetic_city(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("WARROOM_OSM_FILE", raising=False)
    result = runner.invoke(geo_app, ["route", "-5.14,119.42", "-5.10,119.50"])
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC" in result.stderr
    assert json.loads(result.stdout)["network"] == "synthetic:makassar"


def test_route_reads_warroom_osm_file(small_osm: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARROOM_OSM_FILE", str(small_osm))
    result = runner.invoke(geo_app, ["route", "-5.141,119.41", "-5.141,119.412"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["network"] == "osm:small_city.osm"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["route", "-5.14,119.42", "95,1"], 2, "latitude 95.0 is out of range"),
        (["route", "-5.14", "-5.10,119.50"], 2, "expected LAT,LON"),
        (
            ["route", "-5.14,119.42", "-5.10,119.50", "--osm", "roads.txt"],
            2,
            "unknown OSM file type",
        ),
        (["route", "-5.14,119.42", "-5.10,110.50"], 1, "from the nearest road"),
    ],
)
def test_route_errors_are_messages_not_tracebacks(args: list[str], code: int, message: str) -> None:
    result = runner.invoke(geo_app, args)
    assert result.exit_code == code
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_no_route_exits_1(tmp_path: Path) -> None:
    islands = tmp_path / "islands.osm"
    islands.write_text(
        '<?xml version="1.0"?><osm version="0.6">'
        '<node id="1" lat="-5.14" lon="119.41"/><node id="2" lat="-5.14" lon="119.42"/>'
        '<node id="3" lat="-5.15" lon="119.41"/><node id="4" lat="-5.15" lon="119.42"/>'
        '<way id="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="primary"/></way>'
        '<way id="2"><nd ref="3"/><nd ref="4"/><tag k="highway" v="primary"/></way></osm>'
    )
    result = runner.invoke(
        geo_app, ["route", "-5.14,119.41", "-5.15,119.42", "--osm", str(islands)]
    )
    assert result.exit_code == 1
    assert "no route" in result.stderr


def test_malformed_osm_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"this is not a pbf")
    result = runner.invoke(geo_app, ["route", "-5.14,119.41", "-5.15,119.42", "--osm", str(bad)])
    assert result.exit_code == 2
    assert "malformed OSM data" in result.stderr


def test_network_command_reports_synthetic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WARROOM_OSM_FILE", raising=False)
    result = runner.invoke(geo_app, ["network"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["synthetic"] is True


def test_unreadable_file_is_a_message(tmp_path: Path) -> None:
    folder = tmp_path / "roads.osm"
    folder.mkdir()  # a directory where a file is expected
    result = runner.invoke(geo_app, ["route", "-5.14,119.41", "-5.15,119.42", "--osm", str(folder)])
    assert result.exit_code == 2
    assert "error:" in result.stderr
