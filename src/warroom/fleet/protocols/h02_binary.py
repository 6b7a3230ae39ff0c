"""H02 binary position frames: `$` and fixed fields, which many H02 firmwares send instead of
(or between) `*HQ` text messages on the same connection.

Source: the H02 protocol document and Traccar's H02ProtocolDecoder and H02FrameDecoder. All
fields are BCD (two decimal digits a byte) except the battery byte and the status word:

    $  ID  HHMMSS  DDMMYY  DDMMmmmm  battery  DDDMMmmmmF  SSSCCC  status(4)  3 more bytes

ID is 5 bytes (10 digits) or, in the long form, 8 bytes (a 15-digit IMEI and a pad nibble).
The latitude and longitude are degrees and minutes with four decimals; F is a flags nibble
(bit 1 valid fix, bit 2 north, bit 3 east); SSS is the speed in knots, CCC the course. The
status is the 32-bit word the text messages carry, kept the same way (`status`, in hex).

There is no length field and no end marker. The standard frame is 32 bytes (Traccar's
default): the short form above with its 3 trailing bytes, or the long form up to its status.
Some firmwares append more (cells, odometer) in layouts that vary by model; those bytes are
not decoded. A frame whose date is 000000 is a device without a fix yet: no record, no
error, as for text messages with an empty fix.
"""

from __future__ import annotations

import re

from warroom.fleet.protocols.records import Decoded, DecodeError, PositionRecord
from warroom.fleet.protocols.session import Session
from warroom.fleet.protocols.textfields import knots, utc_datetime

START = b"$"
STANDARD_LENGTH = 32
NO_FIX_DATE = "000000"
_FIELDS = r"(\d{6})(\d{6})(\d{8})[0-9a-f]{2}(\d{9})([0-9a-f])(\d{3})([0-3]\d\d)([0-9a-f]{8})"
_SHORT = re.compile(r"24(\d{10})" + _FIELDS)
_LONG = re.compile(r"24(\d{15})[0-9a-f]" + _FIELDS)


def header(data: bytes | bytearray) -> re.Match[str] | None:
    """The fields of the frame at the start of `data` (at least `STANDARD_LENGTH` bytes), or
    None when they are not a binary H02 position.

    The long form is tried first: in a short frame it would read the status word, mostly 0xFF
    bytes, as BCD speed and course, so it never matches; a long frame, on the other hand, can
    pass for a short one when its IMEI digits happen to read as a time.
    """
    text = data[:STANDARD_LENGTH].hex()
    for layout in (_LONG, _SHORT):
        match = layout.match(text)
        if match is not None and _plausible(match):
            return match
    return None


def _plausible(match: re.Match[str]) -> bool:
    _, clock, date, lat, lon, _, _, course, _ = match.groups()
    hour, minute, second = int(clock[:2]), int(clock[2:4]), int(clock[4:])
    day, month = int(date[:2]), int(date[2:4])
    return (
        hour < 24
        and minute < 60
        and second < 60
        and (date == NO_FIX_DATE or (1 <= day <= 31 and 1 <= month <= 12))
        and int(lat[:2]) <= 90
        and int(lat[2:4]) < 60
        and int(lon[:3]) <= 180
        and int(lon[3:5]) < 60
        and int(course) < 360
    )


def decode(frame: bytes, session: Session) -> Decoded:
    """Decode one binary frame; bytes after the standard part are ignored."""
    if len(frame) < STANDARD_LENGTH:
        raise DecodeError(f"H02 binary frame has {len(frame)} bytes, needs {STANDARD_LENGTH}")
    match = header(frame)
    if match is None:
        raise DecodeError(
            "H02 binary frame is not a '$' position (BCD id, time, date, coordinates): "
            f"{frame[:STANDARD_LENGTH].hex()}"
        )
    device_id, clock, date, lat, lon, flags, speed, course, status = match.groups()
    session.device_id = device_id
    if date == NO_FIX_DATE:
        return Decoded()
    bits = int(flags, 16)
    position = PositionRecord(
        device_id=device_id,
        time=utc_datetime(date, clock, "H02 binary"),
        valid=bool(bits & 0x2),
        lat=_degrees(lat, 2) if bits & 0x4 else -_degrees(lat, 2),
        lon=_degrees(lon, 3) if bits & 0x8 else -_degrees(lon, 3),
        speed_kmh=knots(speed, "H02 speed"),
        course=float(course),
        attributes={"status": status.upper()},
    )
    return Decoded((position,))


def _degrees(digits: str, width: int) -> float:
    """`width` digits of degrees, then minutes with four decimals and no point."""
    minutes = int(digits[width:]) / 10_000
    return int(digits[:width]) + minutes / 60
