"""GT06 / Concox binary protocol (TCP 5023).

Source: Concox GT06 communication protocol v1.8, the Concox 4G documents (JM-VL03, JM-LL301)
and Traccar's Gt06ProtocolDecoder. Frame: `78 78 LEN TYPE BODY SERIAL(2) CRC(2) 0D 0A`
(`79 79` with a 2-byte LEN for long frames); LEN counts TYPE to CRC; the CRC is CRC-16/X-25
over LEN to SERIAL. The IMEI comes only in the login (type 0x01), as 8 BCD bytes, so later
frames use the session's device id. `gt06_messages` reads the bodies.

Replies. The device deletes a message from its buffer once the server echoes
`78 78 05 TYPE SERIAL CRC 0D 0A`, so only the types decoded here are echoed: login,
positions, alarms and heartbeats. A time request (0x8A) is answered with the server's UTC
time instead (`78 78 0B 8A YY MM DD HH MM SS SERIAL CRC 0D 0A`). Information packets (0x94),
command responses (0x15, 0x21) and server commands (0x80-0x82) expect no reply.

Any other type is a `DecodeError` and gets no echo: it carries data this decoder does not
read (LBS or Wi-Fi only locations, the modular 0x70, photos...), and the device keeps and
resends what is not acknowledged, where an echo would have it deleted unread. The error
makes the type visible (the listener's bad-frame counter, the CLI's exit status).
"""

from __future__ import annotations

from datetime import UTC, datetime

from warroom.core.clock import utcnow
from warroom.fleet.protocols import gt06_messages as messages
from warroom.fleet.protocols.binreader import Reader
from warroom.fleet.protocols.crc import crc16_x25
from warroom.fleet.protocols.framing import NEED_MORE, Framer, Step
from warroom.fleet.protocols.records import Decoded, DecodeError, LoginRecord, Record
from warroom.fleet.protocols.session import Session

SHORT_START = b"\x78\x78"
LONG_START = b"\x79\x79"
STOP = b"\r\n"
MIN_LENGTH = 5  # type, serial, CRC

LOGIN = 0x01
TIME_REQUEST = 0x8A
INFO = 0x94
HEARTBEAT_TYPES = frozenset({0x13, 0x23})
POSITION_TYPES = frozenset({0x10, 0x12, 0x22, 0x37, 0xA0})
ALARM_TYPES = frozenset({0x16, 0x26, 0x27, 0xA4})
# Understood, but nothing to store and no reply expected: command responses, and the
# server's own command types should a device echo them.
SILENT_TYPES = frozenset({0x15, 0x21, 0x80, 0x81, 0x82})


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
    if kind == TIME_REQUEST:
        return Decoded((), make_time_reply(serial, utcnow()))
    if kind == INFO:
        return Decoded((messages.info(body, session, extended=header == 4),))
    if kind in SILENT_TYPES:
        return Decoded()
    return Decoded((_decode_body(kind, body, session),), make_reply(kind, serial))


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


def make_reply(kind: int, serial: bytes, content: bytes = b"") -> bytes:
    """The echo that tells the device its message `serial` is stored (or, with `content`,
    the answer to a request)."""
    payload = bytes([5 + len(content), kind]) + content + serial
    return SHORT_START + payload + crc16_x25(payload).to_bytes(2, "big") + STOP


def make_time_reply(serial: bytes, now: datetime) -> bytes:
    """Answer to a time request: UTC date and time, with the request's serial number (as
    in the Concox documents' example; Traccar sends serial 0)."""
    utc = now.astimezone(UTC)
    clock = bytes([utc.year - 2000, utc.month, utc.day, utc.hour, utc.minute, utc.second])
    return make_reply(TIME_REQUEST, serial, clock)


def _decode_body(kind: int, body: Reader, session: Session) -> Record:
    if kind in POSITION_TYPES:
        return messages.position(kind, body, session)
    if kind == LOGIN:
        return _login(body, session)
    if kind in HEARTBEAT_TYPES:
        return messages.heartbeat(kind, body, session)
    if kind in ALARM_TYPES:
        return messages.alarm(body, session)
    raise DecodeError(
        f"GT06 message type 0x{kind:02x} is not supported; it is not acknowledged, so the "
        "device keeps it"
    )


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
