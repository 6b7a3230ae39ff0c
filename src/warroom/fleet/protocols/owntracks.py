"""OwnTracks location messages (JSON over MQTT, or its HTTP mode).

Source: OwnTracks Booklet, "JSON" chapter. A location is `{"_type": "location", "lat", "lon",
"tst" (epoch seconds), "vel" (km/h), "cog", "alt", "acc", "batt", "tid", ...}`. Other `_type`s
(transition, waypoint, lwt, card...) carry no fix and are ignored, not errors.

The payload has no device id: over MQTT it is the topic `owntracks/<user>/<device>`, which the
listener puts in `Session.device_id` (see `device_id_from_topic`); in HTTP mode the payload's
`topic` field is used, and the two-letter `tid` as a last resort. No reply bytes: MQTT needs
none and the HTTP listener answers `[]`.
"""

from __future__ import annotations

from typing import Any

from warroom.fleet.protocols import jsonfields as jf
from warroom.fleet.protocols.records import AttributeValue, Decoded, DecodeError, PositionRecord
from warroom.fleet.protocols.session import Session

TOPIC_LEVELS = 3  # owntracks/<user>/<device>; deeper levels are /event, /cmd, ...


def device_id_from_topic(topic: str) -> str:
    """`owntracks/jane/phone/event` -> `owntracks/jane/phone`."""
    return "/".join(topic.split("/")[:TOPIC_LEVELS])


def decode(message: bytes, session: Session) -> Decoded:
    payload = jf.load_object(message, "OwnTracks")
    if payload.get("_type") != "location":
        return Decoded()
    device_id = _device_id(payload, session)
    position = PositionRecord(
        device_id=device_id,
        time=jf.epoch_time(jf.required_number(payload, "tst", "OwnTracks"), "OwnTracks"),
        valid=True,
        lat=jf.required_number(payload, "lat", "OwnTracks"),
        lon=jf.required_number(payload, "lon", "OwnTracks"),
        speed_kmh=_speed(payload),
        course=_course(payload),
        altitude=jf.optional_number(payload, "alt", "OwnTracks"),
        attributes=_attributes(payload),
    )
    return Decoded((position,))


def _speed(payload: dict[str, Any]) -> float | None:
    """km/h. The booklet makes `vel` optional, so an unknown speed is left out; a negative
    one is a broken message, refused rather than stored as a speed."""
    speed = jf.optional_number(payload, "vel", "OwnTracks")
    if speed is not None and speed < 0:
        raise DecodeError(f"OwnTracks vel must not be negative: {speed:g}")
    return speed


def _course(payload: dict[str, Any]) -> float | None:
    """Degrees from north, 0-360 (the booklet's `cog`); anything else is a broken message,
    as a negative speed is."""
    course = jf.optional_number(payload, "cog", "OwnTracks")
    if course is not None and not 0 <= course <= 360:
        raise DecodeError(f"OwnTracks cog must be 0-360 degrees: {course:g}")
    return course


def _device_id(payload: dict[str, Any], session: Session) -> str:
    if session.device_id:
        return session.device_id
    for key in ("topic", "tid"):
        value = payload.get(key)
        if isinstance(value, str) and value:
            session.device_id = device_id_from_topic(value) if key == "topic" else value
            return session.device_id
    raise DecodeError("OwnTracks location has no device id (MQTT topic, topic or tid)")


def _attributes(payload: dict[str, Any]) -> dict[str, AttributeValue]:
    attributes: dict[str, AttributeValue] = {}
    for key, name in (("acc", "accuracy"), ("batt", "battery_level")):
        value = jf.optional_number(payload, key, "OwnTracks")
        if value is not None:
            attributes[name] = value
    for key, name in (("t", "trigger"), ("conn", "connection"), ("tid", "tid")):
        if isinstance(payload.get(key), str):
            attributes[name] = payload[key]
    return attributes
