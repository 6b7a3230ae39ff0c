"""NMEA 0183 sentences over TCP 5005 (raw NMEA trackers, as Traccar's T55 protocol).

Source: NMEA 0183 (RMC layout), Traccar's T55ProtocolDecoder. Frames are lines starting with
`$`; the optional `*HH` checksum (XOR of the characters between `$` and `*`) is checked.
Positions come from RMC of any talker (GP, GN, GL, ...): speed in knots, date and time UTC.
The device id comes from a `$PGID,<id>` line (T55) or a GpsGate `$FRLIN,IMEI,<id>` login; both
set the session. Only the GpsGate login expects an answer (`$FRSES`); other sentences
(GGA, GSV...) are accepted and ignored.
"""

from __future__ import annotations

from functools import reduce

from warroom.fleet.protocols.framing import DelimitedFramer
from warroom.fleet.protocols.records import Decoded, DecodeError, LoginRecord, PositionRecord
from warroom.fleet.protocols.session import Session
from warroom.fleet.protocols.textfields import (
    as_text,
    degrees_minutes,
    knots,
    optional_number,
    utc_datetime,
)

RMC_FIELDS = 10


def framer() -> DelimitedFramer:
    return DelimitedFramer(b"$", b"\n")


def checksum(body: str) -> str:
    return f"{reduce(lambda acc, char: acc ^ ord(char), body, 0):02X}"


def decode(frame: bytes, session: Session) -> Decoded:
    fields = _fields(as_text(frame, "NMEA"))
    sentence = fields[0]
    if len(sentence) == 5 and sentence.endswith("RMC"):
        return _rmc(fields, session)
    if sentence == "PGID" and len(fields) >= 2:
        return _login(fields[1], session, reply=None)
    if sentence == "FRLIN" and len(fields) >= 3:
        reply = f"$FRSES,1*{checksum('FRSES,1')}\r\n".encode()
        return _login(fields[2], session, reply)
    return Decoded()


def _fields(text: str) -> list[str]:
    if not text.startswith("$"):
        raise DecodeError("NMEA sentence must start with '$'")
    body, star, given = text[1:].partition("*")
    if star and given.upper() != checksum(body):
        raise DecodeError(
            f"NMEA checksum mismatch: sentence has {given!r}, computed {checksum(body)}"
        )
    return body.split(",")


def _login(device_id: str, session: Session, reply: bytes | None) -> Decoded:
    if not device_id.isalnum():
        raise DecodeError(f"NMEA login id must be letters and digits, got {device_id!r}")
    session.device_id = device_id
    return Decoded((LoginRecord(device_id),), reply)


def _rmc(fields: list[str], session: Session) -> Decoded:
    if len(fields) < RMC_FIELDS:
        raise DecodeError(f"RMC sentence has {len(fields)} fields, needs {RMC_FIELDS}")
    _, clock, status, lat, north, lon, east, speed, course, date = fields[:RMC_FIELDS]
    if not (clock and date and lat and lon):
        return Decoded()  # a receiver without time or fix yet: nothing to record
    position = PositionRecord(
        device_id=session.device_id,
        time=utc_datetime(date, clock, "RMC"),
        valid=status == "A",
        lat=degrees_minutes(lat, north, "RMC latitude"),
        lon=degrees_minutes(lon, east, "RMC longitude"),
        speed_kmh=knots(speed, "RMC speed"),
        course=optional_number(course, "RMC course"),
    )
    return Decoded((position,))
