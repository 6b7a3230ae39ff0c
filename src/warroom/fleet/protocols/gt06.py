"""GT06 / Concox binary protocol (TCP 5023).

Source: Concox GT06 communication protocol v1.8 and Traccar's Gt06ProtocolDecoder. Frame:
`78 78 LEN TYPE BODY SERIAL(2) CRC(2) 0D 0A` (`79 79` with a 2-byte LEN for long frames); LEN
counts TYPE to CRC; the CRC is CRC-16/X-25 over LEN to SERIAL. The IMEI comes only in the login
(type 0x01), as 8 BCD bytes, so later frames use the session's device id.

Ack: the server echoes `78 78 05 TYPE SERIAL CRC 0D 0A` for every device message (login,
position, heartbeat, alarm...) like Traccar does; devices resend or reconnect without the login
ack. Command responses and time requests (which need the server clock) get no echo.
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta

from warroom.fleet.protocols.binreader import Reader
from warroom.fleet.protocols.crc import crc16_x25
from warroom.fleet.protocols.framing import NEED_MORE, Framer, Step
from warroom.fleet.protocols.records import (
    NO_ATTRIBUTES,
    AlarmRecord,
    Attributes,
    AttributeValue,
    Decoded,
    DecodeError,
    HeartbeatRecord,
    LoginRecord,
    PositionRecord,
    Record,
)
from warroom.fleet.protocols.session import Session

SHORT_START = b"\x78\x78"
LONG_START = b"\x79\x79"
STOP = b"\r\n"
MIN_LENGTH = 5  # type, serial, CRC
_FIX = struct.Struct(">6BBIIBH")  # date and time, satellites, lat, lon, speed, course and flags
_CELL = struct.Struct(">HBHBH")  # MCC, MNC, LAC, cell id (3 bytes)

LOGIN = 0x01
HEARTBEAT = 0x13
POSITION_TYPES = frozenset({0x10, 0x12, 0x22})
ALARM_TYPES = frozenset({0x16, 0x26, 0x27})
NO_ECHO_TYPES = frozenset({0x15, 0x21, 0x80, 0x81, 0x82, 0x8A})
ALARMS = {
    0x01: "sos",
    0x02: "power_cut",
    0x03: "vibration",
    0x04: "geofence_enter",
    0x05: "geofence_exit",
    0x06: "overspeed",
    0x09: "movement",
    0x0E: "low_battery",
}


class Gt06Framer(Framer):
    def _scan(self, buffer: bytearray) -> Step:
        start = _find_start(buffer)
        if start != 0:
            return Step(skip=len(buffer) if start < 0 else start)
        header = 3 if buffer.startswith(SHORT_START) else 4
        if len(buffer) < header:
            return NEED_MORE
        length = int.from_bytes(buffer[2:header], "big")
        if length < MIN_LENGTH:
            return Step(skip=1)
        total = header + length + len(STOP)
        self._check_size(total)
        if len(buffer) < total:
            return NEED_MORE
        if buffer[total - 2 : total] != STOP:
            return Step(skip=1)
        return Step(frame=total)


def _find_start(buffer: bytearray) -> int:
    """Offset of the first frame marker; a trailing lone 0x78/0x79 may be half of one."""
    found = [i for i in (buffer.find(SHORT_START), buffer.find(LONG_START)) if i >= 0]
    if found:
        return min(found)
    if buffer[-1] in (0x78, 0x79):
        return len(buffer) - 1
    return -1


def decode(frame: bytes, session: Session) -> Decoded:
    """Decode one frame (as cut by `Gt06Framer`)."""
    header = _check_frame(frame)
    kind = frame[header]
    serial = frame[-6:-4]
    body = Reader(frame[header + 1 : -6], f"GT06 message 0x{kind:02x}")
    records = _decode_body(kind, body, session)
    reply = None if kind in NO_ECHO_TYPES else make_reply(kind, serial)
    return Decoded(records, reply)


def _check_frame(frame: bytes) -> int:
    if frame.startswith(SHORT_START):
        header = 3
    elif frame.startswith(LONG_START):
        header = 4
    else:
        raise DecodeError("GT06 frame must start with 7878 or 7979")
    if len(frame) < header + MIN_LENGTH + len(STOP):
        raise DecodeError(f"GT06 frame too short: {len(frame)} bytes")
    length = int.from_bytes(frame[2:header], "big")
    if length != len(frame) - header - len(STOP) or not frame.endswith(STOP):
        raise DecodeError(f"GT06 length field says {length}, frame has {len(frame)} bytes")
    expected = crc16_x25(frame[2:-4])
    if int.from_bytes(frame[-4:-2], "big") != expected:
        raise DecodeError(
            f"GT06 CRC mismatch: frame has {frame[-4:-2].hex()}, computed {expected:04x}"
        )
    return header


def make_reply(kind: int, serial: bytes) -> bytes:
    payload = bytes([5, kind]) + serial
    return SHORT_START + payload + crc16_x25(payload).to_bytes(2, "big") + STOP


def _decode_body(kind: int, body: Reader, session: Session) -> tuple[Record, ...]:
    if kind == LOGIN:
        return (_login(body, session),)
    if kind == HEARTBEAT:
        return (HeartbeatRecord(session.device_id, _status(body)),)
    if kind in POSITION_TYPES:
        return (_position(kind, body, session),)
    if kind in ALARM_TYPES:
        return (_alarm(body, session),)
    return ()


def _login(body: Reader, session: Session) -> LoginRecord:
    digits = body.take(8).hex()
    if not digits.isdigit():
        raise DecodeError(f"GT06 login IMEI is not BCD digits: {digits}")
    if body.remaining >= 4:
        body.skip(2)  # device type
        session.utc_offset_minutes = _login_offset(body.u16())
    session.device_id = digits[1:]  # 15-digit IMEI, padded to 16 nibbles
    return LoginRecord(session.device_id)


def _login_offset(bits: int) -> int:
    """Bits 15..4 hold the zone as HHMM in decimal, bit 3 says west (negative)."""
    hours, minutes = divmod(bits >> 4, 100)
    offset = hours * 60 + minutes
    return -offset if bits & 0x8 else offset


def _fix(body: Reader, session: Session, attributes: Attributes = NO_ATTRIBUTES) -> PositionRecord:
    """Date (6), satellites (1), lat, lon (4 each), speed (1), course and flags (2)."""
    fields = _FIX.unpack(body.take(_FIX.size))
    year, month, day, hour, minute, second, satellites, lat, lon, speed, flags = fields
    try:
        local = datetime(2000 + year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError as exc:
        raise DecodeError(f"GT06 date is invalid: {exc}") from None
    if session.utc_offset_minutes:
        local -= timedelta(minutes=session.utc_offset_minutes)
    lat /= 1_800_000
    lon /= 1_800_000
    return PositionRecord(
        session.device_id,
        local,
        bool(flags & 0x1000),
        lat if flags & 0x0400 else -lat,
        -lon if flags & 0x0800 else lon,
        float(speed),
        float(flags & 0x03FF),
        None,
        satellites & 0x0F,
        attributes,
    )


def _position(kind: int, body: Reader, session: Session) -> PositionRecord:
    """The fix, then (all but 0x10) the cell, then (0x22) ignition, event and archive flag:
    read before the record is built so that it is built once."""
    start = body.offset
    body.skip(_FIX.size)
    attributes: dict[str, AttributeValue] = {}
    if kind != 0x10 and body.remaining >= 8:
        attributes.update(_cell(body))
    if kind == 0x22 and body.remaining >= 3:
        attributes["ignition"] = body.u8() > 0
        attributes["event"] = body.u8()
        attributes["archive"] = body.u8() == 1
    body.offset = start
    return _fix(body, session, attributes or NO_ATTRIBUTES)


def _cell(body: Reader) -> dict[str, AttributeValue]:
    mcc, mnc, lac, cid_high, cid_low = _CELL.unpack(body.take(_CELL.size))
    return {"mcc": mcc, "mnc": mnc, "lac": lac, "cid": cid_high << 16 | cid_low}


def _status(body: Reader) -> dict[str, AttributeValue]:
    """Terminal info, battery level (0-6) and GSM signal (0-4) of heartbeats and alarms."""
    info = body.u8()
    return {
        "armed": bool(info & 0x01),
        "ignition": bool(info & 0x02),
        "charging": bool(info & 0x04),
        "battery_level": body.u8(),
        "rssi": body.u8(),
    }


def _alarm(body: Reader, session: Session) -> Record:
    start = body.offset
    body.skip(_FIX.size)
    cell_length = body.u8()  # counts itself
    body.skip(max(cell_length - 1, 0))
    status = _status(body)
    code = body.u8()
    end = body.offset
    body.offset = start
    position = _fix(body, session, status)
    body.offset = end
    if code == 0:
        return position
    name = ALARMS.get(code, f"alarm_0x{code:02x}")
    return AlarmRecord(session.device_id, name, position)
