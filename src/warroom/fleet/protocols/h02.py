"""H02 protocol (Sinotrack and many clones), TCP and UDP 5013: text and binary messages.

Source: H02 protocol document and Traccar's H02ProtocolDecoder. A text message is
`*HQ,ID,TYPE,HHMMSS,A|V,LAT,N|S,LON,E|W,SPEED(knots),COURSE,DDMMYY,STATUS,...#`; coordinates
are `DDMM.MMMM` or the dashed `-DD-MM.MMMM` some firmwares send. Types with a fix: V1, V6, V8,
VP1; heartbeats: HTBT, LINK, XT. A message with an empty time or fix (the device has none yet)
gives no record and no error. The binary `$` frames many firmwares send on the same
connection are read by `h02_binary`. The device expects no ack for any of these (Traccar
only answers with `V4` when asked to), so decoders return none.

`decode` also takes a binary frame written as hex (`2441...`): the form in which a person
passes one to `warroom fleet decode h02`, the protocol's messages being typed as text.
"""

from __future__ import annotations

from warroom.fleet.protocols import h02_binary
from warroom.fleet.protocols.framing import NEED_MORE, Framer, Step
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
TEXT_START, TEXT_END = b"*", b"#"
BINARY_START = h02_binary.START


class H02Framer(Framer):
    """Text messages from `*` to `#`, binary frames of `h02_binary.STANDARD_LENGTH` bytes
    from a `$` whose fields check out (a `$` that does not is a byte of noise).

    A text message holds no other marker, so one seen before its `#` means the message was
    cut off: it is dropped and the next one kept. Bytes some firmwares append to a binary
    frame are skipped up to the next marker, like any bytes between frames.
    """

    def _scan(self, buffer: bytearray) -> Step:
        first = buffer[0]
        if first == TEXT_START[0]:
            return _text_step(buffer)
        if first == BINARY_START[0]:
            return _binary_step(buffer)
        start = _next_marker(buffer, 1, len(buffer))
        return Step(skip=len(buffer) if start < 0 else start)


def framer() -> H02Framer:
    return H02Framer()


def _next_marker(buffer: bytearray, begin: int, end: int) -> int:
    """Offset of the first `*` or `$` in `buffer[begin:end]`, or -1."""
    star = buffer.find(TEXT_START, begin, end)
    dollar = buffer.find(BINARY_START, begin, end)
    return dollar if star < 0 or 0 <= dollar < star else star


def _text_step(buffer: bytearray) -> Step:
    end = buffer.find(TEXT_END, 1)
    cut_off = _next_marker(buffer, 1, end if end >= 0 else len(buffer))
    if cut_off > 0:
        return Step(skip=cut_off)
    if end < 0:
        return NEED_MORE
    return Step(frame=end + len(TEXT_END))


def _binary_step(buffer: bytearray) -> Step:
    if len(buffer) < h02_binary.STANDARD_LENGTH:
        return NEED_MORE
    if h02_binary.header(buffer) is None:
        return Step(skip=1)
    return Step(frame=h02_binary.STANDARD_LENGTH)


def decode(frame: bytes, session: Session) -> Decoded:
    if frame.startswith(BINARY_START):
        return h02_binary.decode(frame, session)
    text = as_text(frame, "H02")
    if text.startswith("*") and text.endswith("#"):
        return _decode_text(text, session)
    binary = _typed_binary(text)
    if binary is None:
        raise DecodeError("H02 message must be '*...#' text or a binary '$' frame (or its hex)")
    return h02_binary.decode(binary, session)


def _typed_binary(text: str) -> bytes | None:
    """A binary frame written as hex digits (spaces allowed), else None."""
    digits = "".join(text.split())
    if not digits.startswith(BINARY_START.hex()):
        return None
    try:
        return bytes.fromhex(digits)
    except ValueError:
        return None


def _decode_text(text: str, session: Session) -> Decoded:
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
