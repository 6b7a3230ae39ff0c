"""BMKG feed parsing: CAP warnings and their polygons, RSS, earthquakes, forecasts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from warroom.weather.bmkg import parse_forecast, parse_quakes
from warroom.weather.cap import FeedError, parse_cap, parse_polygon, parse_rss

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "bmkg"
CAP_SAMPLE = (FIXTURES / "nowcast_alert.xml").read_bytes()


def test_cap_sample() -> None:
    warning = parse_cap(CAP_SAMPLE)
    assert warning.identifier == "2.49.0.1.360.0.2026.09.24.07.75.002"
    assert warning.sent.utcoffset() is not None and warning.sent.isoformat().endswith("+08:00")
    assert warning.expires is not None and warning.expires.hour == 17
    assert warning.event == "Hujan Lebat dan Petir" and warning.severity == "Moderate"
    (polygon,) = warning.polygons
    min_lon, min_lat, _, _ = polygon.bounds
    assert (round(min_lon, 3), round(min_lat, 3)) == (122.116, 0.9)  # lat,lon swapped to lon/lat


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0.9,122.1 0.8,122.2 0.7,122.1", "closed"),
        ("0.9,122.1 0.8,122.2 0.7,122.1 0.6,122.0", "closed"),
        ("0.9;122.1 0.8,122.2 0.7,122.1 0.9;122.1", "lat,lon"),
        ("95,122.1 0.8,122.2 0.7,122.1 95,122.1", "out of range"),
        ("0,0 1,1 1,0 0,1 0,0", "intersects"),
    ],
)
def test_bad_polygons_are_refused(text: str, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        parse_polygon(text)


def test_cap_time_without_offset_is_refused() -> None:
    with pytest.raises(FeedError, match="no UTC offset"):
        parse_cap(CAP_SAMPLE.replace(b"2026-09-24T15:07:00+08:00", b"2026-09-24T15:07:00"))


@pytest.mark.parametrize(
    "data",
    [
        b"<html>maintenance</html>",
        b"not xml at all",
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xx">]><a>&x;</a>',
    ],
)
def test_garbage_and_unsafe_xml_are_refused(data: bytes) -> None:
    with pytest.raises(FeedError):
        parse_cap(data)


def test_rss_links() -> None:
    rss = b"""<rss version="2.0"><channel><title>t</title>
      <item><title>a</title><link>http://127.0.0.1/a.xml</link></item>
      <item><title>b</title><link> http://127.0.0.1/b.xml </link></item>
    </channel></rss>"""
    assert parse_rss(rss) == ["http://127.0.0.1/a.xml", "http://127.0.0.1/b.xml"]
    with pytest.raises(FeedError):
        parse_rss(b"<feed/>")


def test_autogempa_sample() -> None:
    (quake,) = parse_quakes((FIXTURES / "autogempa.json").read_bytes())
    assert (quake.lat, quake.lon, quake.magnitude, quake.depth_km) == (-1.17, 120.06, 4.1, 10.0)
    assert quake.occurred_at.isoformat() == "2026-08-06T02:59:47+00:00"


def test_quake_lists_and_garbage() -> None:
    one = json.loads((FIXTURES / "autogempa.json").read_text())["Infogempa"]["gempa"]
    listed = json.dumps(
        {"Infogempa": {"gempa": [one, {**one, "DateTime": "2026-08-07T01:00:00+00:00"}]}}
    )
    assert len(parse_quakes(listed.encode())) == 2
    for bad in (
        b"<html>",
        b"{}",
        json.dumps({"Infogempa": {"gempa": [{**one, "Magnitude": "x"}]}}).encode(),
    ):
        with pytest.raises(FeedError):
            parse_quakes(bad)


def test_forecast_is_compacted() -> None:
    body = {
        "lokasi": {
            "adm4": "73.71.01.1001",
            "desa": "Mariso",
            "kecamatan": "Mariso",
            "lat": -5.15,
            "lon": 119.41,
        },
        "data": [
            {
                "cuaca": [
                    [
                        {
                            "local_datetime": "2026-11-27 14:00:00",
                            "t": 31,
                            "hu": 70,
                            "tp": 0.2,
                            "weather_desc": "Berawan",
                            "image": "x",
                        }
                    ]
                ]
            }
        ],
    }
    forecast = parse_forecast(json.dumps(body).encode())
    assert forecast["adm4"] == "73.71.01.1001" and forecast["slots"][0]["t"] == 31
    assert "image" not in forecast["slots"][0]
    with pytest.raises(FeedError):
        parse_forecast(b'{"lokasi": {}, "data": []}')
