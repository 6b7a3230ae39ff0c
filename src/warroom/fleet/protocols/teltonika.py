"""Teltonika FMB/FMC trackers (TCP and UDP 5027), Codec 8, 8 Extended and 16.

Source: Teltonika wiki "Codec" and "Teltonika Data Sending Protocols"; Traccar's
TeltonikaProtocolDecoder.

TCP: the device first sends its IMEI as `LEN(2) ASCII`; the server accepts with the single
byte `01`. Then AVL packets `00000000 LEN(4) DATA CRC(4)` where the CRC is CRC-16/ARC over
DATA; the server acknowledges with the number of records as a 4-byte big-endian integer
(a device resends a packet it gets no or a wrong count for).

UDP: every datagram carries the IMEI: `LEN(2) PACKET_ID(2) 01 AVL_PACKET_ID(1) IMEI_LEN(2)
IMEI DATA`, no CRC. The ack is `0005 PACKET_ID 01 AVL_PACKET_ID COUNT(1)`.
"""

from __future__ import annotations

import struct

from warroom.fleet.protocols.binreader import Reader
from warroom.fleet.protocols.crc import crc16_arc
from warroom.fleet.protocols.framing import NEED_MORE, Framer, Step
from warroom.fleet.protocols.records import Decoded, DecodeError, LoginRecord
from warroom.fleet.protocols.session import Session
from warroom.fleet.protocols.teltonika_avl import parse_avl_data

LOGIN_ACCEPTED = b"\x01"
MIN_IMEI_LENGTH = 8
MAX_IMEI_LENGTH = 32
MIN_AVL_LENGTH = 3  # codec id and the two record counts
AVL_ENVELOPE = 12  # four zero bytes, the data length, the CRC
_AVL_HEADER = struct.Struct(">II")
_CRC = struct.Struct(">I")


class TeltonikaFramer(Framer):
    """Frames are either an IMEI (first byte 0, second its length) or an AVL packet
    (four zero bytes, a length, data, CRC). Anything else is skipped to the next zero byte."""

    def _scan(self, buffer: bytearray) -> Step:
        if buffer[0] != 0:
            zero = buffer.find(b"\x00")
            return Step(skip=len(buffer) if zero < 0 else zero)
        if len(buffer) < 2:
            return NEED_MORE
        if buffer[1] != 0:
            return self._imei(buffer)
        return self._avl(buffer)

    def _imei(self, buffer: bytearray) -> Step:
        """An IMEI header is only believed while the bytes after it are digits, so a stray
        zero byte in garbage does not swallow the start of the next real frame."""
        length = buffer[1]
        if not MIN_IMEI_LENGTH <= length <= MAX_IMEI_LENGTH:
            return Step(skip=1)
        received = bytes(buffer[2 : 2 + length])
        if not received.isdigit() and received:
            return Step(skip=1)
        return Step(frame=2 + length) if len(received) == length else NEED_MORE

    def _avl(self, buffer: bytearray) -> Step:
        if any(buffer[2:4]):
            return Step(skip=1)
        if len(buffer) < 8:
            return NEED_MORE
        length = int.from_bytes(buffer[4:8], "big")
        if length < MIN_AVL_LENGTH:
            return Step(skip=1)
        total = 8 + length + 4
        self._check_size(total)
        return Step(frame=total) if len(buffer) >= total else NEED_MORE


def decode(frame: bytes, session: Session) -> Decoded:
    """Decode one TCP frame (as cut by `TeltonikaFramer`): an IMEI login or an AVL packet."""
    if frame[:2] != b"\x00\x00":
        return _login(frame, session)
    return _avl_packet(frame, session)


def _imei(reader: Reader) -> str:
    raw = reader.take(reader.u16())
    imei = raw.decode("ascii", errors="replace")
    if not imei.isdigit() or len(raw) > MAX_IMEI_LENGTH:
        raise DecodeError(f"Teltonika IMEI must be digits, got {imei!r}")
    return imei


def _login(frame: bytes, session: Session) -> Decoded:
    reader = Reader(frame, "Teltonika IMEI")
    imei = _imei(reader)
    _expect_end(reader, "IMEI")
    session.device_id = imei
    return Decoded((LoginRecord(imei),), LOGIN_ACCEPTED)


def _avl_packet(frame: bytes, session: Session) -> Decoded:
    if len(frame) < AVL_ENVELOPE:
        raise DecodeError(f"Teltonika AVL packet truncated: {len(frame)} bytes")
    zeros, length = _AVL_HEADER.unpack_from(frame)
    if zeros != 0:
        raise DecodeError("Teltonika AVL packet must start with four zero bytes")
    if len(frame) != AVL_ENVELOPE + length:
        raise DecodeError(f"Teltonika AVL packet says {length} data bytes, has {len(frame) - 12}")
    data = frame[8:-4]
    (crc,) = _CRC.unpack_from(frame, len(frame) - 4)
    if crc != crc16_arc(data):
        raise DecodeError(
            f"Teltonika CRC mismatch: packet has {crc:08x}, computed {crc16_arc(data):08x}"
        )
    records, end = parse_avl_data(data, 0, session.device_id)
    if end != len(data):
        raise DecodeError(f"Teltonika AVL data has {len(data) - end} unexpected trailing bytes")
    return Decoded(records, len(records).to_bytes(4, "big"))


def decode_datagram(datagram: bytes, session: Session) -> Decoded:
    """Decode one UDP datagram; the IMEI in it also updates the session."""
    reader = Reader(datagram, "Teltonika UDP packet")
    length = reader.u16()
    if length != reader.remaining:
        raise DecodeError(f"Teltonika UDP length says {length}, has {reader.remaining} bytes")
    packet_id = reader.take(2)
    reader.skip(1)  # "not usable byte", always 01
    avl_packet_id = reader.u8()
    session.device_id = _imei(reader)
    records, end = parse_avl_data(datagram, reader.offset, session.device_id)
    if end != len(datagram):
        raise DecodeError(
            f"Teltonika UDP packet has {len(datagram) - end} unexpected trailing bytes"
        )
    reply = b"\x00\x05" + packet_id + b"\x01" + bytes([avl_packet_id, len(records)])
    return Decoded(records, reply)


def _expect_end(reader: Reader, what: str) -> None:
    if reader.remaining:
        raise DecodeError(f"Teltonika {what} has {reader.remaining} unexpected trailing bytes")
