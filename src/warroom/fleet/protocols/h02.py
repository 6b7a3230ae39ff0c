"""H02 text protocol (Sinotrack and many clones), TCP and UDP 5013.

Source: H02 protocol document and Traccar's H02ProtocolDecoder. A message is
`*HQ,ID,TYPE,HHMMSS,A|V,LAT,N|S,LON,E|W,SPEED(knots),COURSE,DDMMYY,STATUS,...#`; coordinates
are `DDMM.MMMM` or the dashed `-DD-MM.MMMM` some firmwares send. Types with a fix: V1, V6, V8,
VP1; heartbeats: HTBT, LINK, XT. A message with an empty time or fix (the device has none yet)
gives no record and no error. The device expects no ack for these messages (Traccar only
answers with `V4` when asked to), so decoders return none. The binary `$` variant is not
supported.
"""

from __future__ import annotations

from warroom.fleet.protocols.framing import DelimitedFramer
from warroom.fleet.protocols.records import Decoded, DecodeError, HeartbeatRecord, PositionRecord
from warroom.fleet.protocols.session import Session
from warroom.fleet.protocols.textfields import (
    as_text,
    degrees_minutes,
    knots,
    optional_number,
    utc_datetime,
)

POSITION_TYPES = frozenset({"V1", "V6", "V8", "VP1"})
HEARTBEAT_TYPES = frozenset({"HTBT", "LINK", "XT"})
FIX_FIELDS = 9  # time, validity, lat, N/S, lon, E/W, speed, course, date


def framer() -> DelimitedFramer:
    return DelimitedFramer(b"*", b"#")


def decode(frame: bytes, session: Session) -> Decoded:
    text = as_text(frame, "H02")
    if not (text.startswith("*") and text.endswith("#")):
        raise DecodeError("H02 message must be '*...#'")
    fields = text[1:-1].split(",")
    if len(fields) < 3:
        raise DecodeError("H02 message needs at least maker, device id and type")
    device_id, kind = fields[1], fields[2]
    if not device_id.isalnum():
        raise DecodeError(f"H02 device id must be letters and digits, got {device_id!r}")
    session.device_id = device_id
    if kind in POSITION_TYPES:
        return _position(device_id, fields[3:])
    if kind in HEARTBEAT_TYPES:
        return Decoded((HeartbeatRecord(device_id),))
    return Decoded()


def _position(device_id: str, fields: list[str]) -> Decoded:
    if len(fields) < FIX_FIELDS:
        raise DecodeError(f"H02 position has {len(fields)} fields, needs {FIX_FIELDS}")
    clock, validity, lat, north, lon, east, speed, course, date = fields[:FIX_FIELDS]
    if not (clock and date and lat and lon):
        return Decoded()
    attributes = {"status": fields[FIX_FIELDS]} if len(fields) > FIX_FIELDS else {}
    position = PositionRecord(
        device_id=device_id,
        time=utc_datetime(date, clock, "H02"),
        valid=validity == "A",
        lat=degrees_minutes(lat, north, "H02 latitude"),
        lon=degrees_minutes(lon, east, "H02 longitude"),
        speed_kmh=knots(speed, "H02 speed"),
        course=optional_number(course, "H02 course"),
        attributes=attributes,
    )
    return Decoded((position,))
