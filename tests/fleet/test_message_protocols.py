"""OsmAnd (HTTP) and OwnTracks (MQTT JSON) beyond the shared vectors; record invariants."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from warroom.fleet.protocols import (
    Decoded,
    DecodeError,
    HeartbeatRecord,
    PositionRecord,
    Session,
    osmand,
    owntracks,
)

LOCATION = {
    "_type": "location",
    "lat": -5.1477,
    "lon": 119.4327,
    "tst": 1700000000,
    "vel": 42,
    "cog": 90,
    "alt": 12,
    "acc": 8,
    "batt": 77,
    "tid": "ab",
}


HUGE = "9" * 400  # a JSON integer or query number no float can hold
JSON_FIX = '{"device_id": "1", "location": {"timestamp": %s, "coords": %s%s}}'
JSON_TIME = '"2021-07-21T08:06:34Z"'
JSON_COORDS = '{"latitude": 1, "longitude": 2}'


def _osmand(text: str) -> Decoded:
    return osmand.decode(text.encode(), Session())


def _osmand_json(timestamp: str = JSON_TIME, coords: str = JSON_COORDS, extra: str = "") -> Decoded:
    return _osmand(JSON_FIX % (timestamp, coords, extra))


def test_osmand_without_coordinates_is_a_heartbeat() -> None:
    assert _osmand("/?id=7&batt=55").records == (HeartbeatRecord("7", {"battery_level": 55.0}),)


def test_osmand_form_body_iso_offset_and_valid_flag() -> None:
    (position,) = _osmand(
        "id=7&lat=1&lon=2&timestamp=2024-01-01T08:00:00%2B08:00&valid=false"
    ).records
    assert isinstance(position, PositionRecord)
    assert position.time == datetime(2024, 1, 1, tzinfo=UTC)
    assert position.valid is False


def test_osmand_json_batch_gives_one_record_per_location() -> None:
    one = {
        "timestamp": "2021-07-21T08:06:34Z",
        "coords": {"latitude": 1, "longitude": 2, "speed": -1, "heading": -1},
    }
    body = json.dumps({"device_id": 5, "location": [one, one]})
    records = _osmand(body).records
    assert [r.device_id for r in records] == ["5", "5"]
    assert isinstance(records[0], PositionRecord)
    assert records[0].speed_kmh is None
    assert records[0].course is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("/?id=7&lat=nan&lon=2&timestamp=1", "not a finite number"),
        ("/?id=7&lat=91&lon=2&timestamp=1", "latitude out of range"),
        (f"/?id=7&lat={HUGE}&lon=2&timestamp=1", "not a finite number"),
        ("/?id=7&lat=1&lon=2&timestamp=" + "1" * 400, "out of range: a 400-digit number"),
        ("/?id=7&lat=1&lon=2&timestamp=" + "1" * 19, "out of range: a 19-digit number"),
        ("/?id=7&lat=1&lon=2&timestamp=999999999999999999", "out of range"),
        ("/?id=7&lat=1&lon=2&timestamp=9999-12-31T23:59:59Z", "out of range"),
        ("/?id=7&location=1&timestamp=1", "lat,lon"),
        ('{"device_id": "1", "location": {"coords": {}}}', "timestamp must be a string"),
        ('{"device_id": "1", "location": {"timestamp": "x"}}', "not ISO 8601"),
        ('{"device_id": true}', "no device_id"),
        ('{"device_id": "1", "location": [' * 2000, "not valid JSON"),
        ('{"a": NaN}', "NaN is not allowed"),
    ],
)
def test_osmand_rejects(text: str, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        _osmand(text)


@pytest.mark.parametrize(
    ("fix", "message"),
    [
        ({"coords": f'{{"latitude": {HUGE}, "longitude": 2}}'}, "latitude is too large"),
        ({"coords": f'{{"latitude": 1, "longitude": -{HUGE}}}'}, "longitude is too large"),
        ({"coords": '{"latitude": 1e400, "longitude": 2}'}, "latitude is not finite"),
        ({"coords": '{"latitude": 1, "longitude": 2, "speed": "fast"}'}, "got a string"),
        ({"coords": '{"latitude": [[[1]]], "longitude": 2}'}, "got an array"),
        ({"extra": f', "odometer": {HUGE}'}, "odometer is too large"),
        ({"extra": f', "battery": {{"level": {HUGE}}}'}, "level is too large"),
        ({"timestamp": '"0001-01-01T00:00:00Z"'}, "out of range"),
        ({"timestamp": HUGE}, "timestamp must be a string"),
    ],
)
def test_osmand_json_rejects_hostile_values(fix: dict[str, str], message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        _osmand_json(**fix)


def test_osmand_query_without_timestamp_gets_the_time_it_was_received() -> None:
    """As in Traccar's decoder: a report without a time is taken as made when it arrived."""
    before = datetime.now(UTC)
    (position,) = _osmand("/?id=7&lat=1&lon=2").records
    assert isinstance(position, PositionRecord)
    assert before <= position.time <= datetime.now(UTC)


def test_owntracks_topic_from_session_and_speed_in_kmh() -> None:
    session = Session(owntracks.device_id_from_topic("owntracks/jane/phone/event"))
    (position,) = owntracks.decode(json.dumps(LOCATION).encode(), session).records
    assert isinstance(position, PositionRecord)
    assert position.device_id == "owntracks/jane/phone"
    assert position.speed_kmh == 42
    assert position.time == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert position.attributes["battery_level"] == 77


def test_owntracks_http_mode_uses_topic_then_tid() -> None:
    with_topic = {**LOCATION, "topic": "owntracks/joe/car"}
    (position,) = owntracks.decode(json.dumps(with_topic).encode(), Session()).records
    assert position.device_id == "owntracks/joe/car"
    (position,) = owntracks.decode(json.dumps(LOCATION).encode(), Session()).records
    assert position.device_id == "ab"


def test_owntracks_other_types_are_ignored() -> None:
    assert owntracks.decode(b'{"_type": "transition"}', Session()).records == ()


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({**LOCATION, "tid": None}, "no device id"),
        ({**LOCATION, "lat": "1"}, "lat must be a number"),
        ({**LOCATION, "tst": 1e20}, "out of range"),
        ({**LOCATION, "tst": int(HUGE)}, "tst is too large: a 400-digit integer"),
        ({**LOCATION, "lat": int(HUGE)}, "lat is too large"),
        ({**LOCATION, "lat": -int(HUGE)}, "lat is too large"),
        ({**LOCATION, "batt": int(HUGE)}, "batt is too large"),
        ({**LOCATION, "tst": -62135596800}, "out of range"),
        ({**LOCATION, "vel": -1}, "vel must not be negative: -1"),
        ({**LOCATION, "cog": -90}, "cog must be 0-360 degrees: -90"),
        ({**LOCATION, "cog": 361.5}, "cog must be 0-360 degrees: 361.5"),
        ({**LOCATION, "lat": [1]}, "lat must be a number, got an array"),
        ([1], "must be a JSON object"),
    ],
)
def test_owntracks_rejects(payload: object, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        owntracks.decode(json.dumps(payload).encode(), Session())


def test_reply_without_records_is_shown_as_an_ack_line() -> None:
    assert Decoded((), b"\x01").to_json_lines() == [{"kind": "ack", "reply_hex": "01"}]


def test_position_requires_an_aware_time() -> None:
    with pytest.raises(DecodeError, match="no time zone"):
        PositionRecord(None, datetime(2024, 1, 1), True, 0.0, 0.0)
