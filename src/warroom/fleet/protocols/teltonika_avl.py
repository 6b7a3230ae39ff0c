"""Teltonika AVL data (Codec 8, 8 Extended, 16): the part shared by the TCP and UDP envelopes.

Source: Teltonika wiki "Codec" (data sending protocols). Layout: codec id (1), record count
(1), records, record count again (1). Each record: time in ms since 1970 (8), priority (1),
longitude, latitude (signed, 1e-7 degree, 4 each), altitude (signed m, 2), angle (2),
satellites (1), speed (km/h, 2), then the I/O elements, whose id and count widths depend on the
codec. A fix with no satellites is not valid (as Traccar decides).

Every record of a busy server passes here, so fields are read with precompiled
`struct.Struct.unpack_from` at a running offset, not through a byte-at-a-time reader; reading
past the end raises `struct.error` or `IndexError`, which `parse_avl_data` turns into one
`DecodeError`.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from datetime import UTC, datetime

from warroom.fleet.protocols.records import AttributeValue, DecodeError, PositionRecord

CODEC_8 = 0x08
CODEC_8E = 0x8E
CODEC_16 = 0x10
VALUE_SIZES = (1, 2, 4, 8)
_VALUE_FORMATS = ("B", "H", "I", "Q")

# The few I/O ids every FMB/FMC model shares; the rest stay as "io<ID>" with the raw integer.
IO_NAMES: dict[int, tuple[str, Callable[[int], AttributeValue] | None]] = {
    239: ("ignition", bool),
    240: ("motion", bool),
    21: ("rssi", None),
    16: ("odometer", None),
    66: ("power", lambda mv: mv / 1000),
    67: ("battery", lambda mv: mv / 1000),
    181: ("pdop", lambda v: v / 10),
    182: ("hdop", lambda v: v / 10),
}

_FIX = struct.Struct(">QBiihHBH")  # time, priority, lon, lat, altitude, angle, satellites, speed


class _Layout:
    """The widths of one codec's I/O section: event id, counts, element ids."""

    def __init__(self, id_format: str, count_format: str, generation: bool) -> None:
        self.head = struct.Struct(">" + id_format + ("B" if generation else "") + count_format)
        self.count = struct.Struct(">" + count_format)
        self.generation = generation
        self.elements = tuple(struct.Struct(">" + id_format + value) for value in _VALUE_FORMATS)


_LAYOUTS = {
    CODEC_8: _Layout("B", "B", generation=False),
    CODEC_8E: _Layout("H", "H", generation=False),
    CODEC_16: _Layout("H", "B", generation=True),
}
_U16 = struct.Struct(">H")


def parse_avl_data(
    data: bytes, offset: int, device_id: str | None
) -> tuple[tuple[PositionRecord, ...], int]:
    """The records of the AVL data at `offset`, and the offset just after it."""
    try:
        return _parse(data, offset, device_id)
    except (struct.error, IndexError):
        raise DecodeError(f"Teltonika AVL data truncated ({len(data) - offset} bytes)") from None


def _parse(
    data: bytes, offset: int, device_id: str | None
) -> tuple[tuple[PositionRecord, ...], int]:
    codec, count = data[offset], data[offset + 1]
    layout = _LAYOUTS.get(codec)
    if layout is None:
        raise DecodeError(f"Teltonika codec 0x{codec:02x} is not supported (8, 8E, 16 are)")
    offset += 2
    records = []
    for _ in range(count):
        record, offset = _record(data, offset, layout, device_id)
        records.append(record)
    trailer = data[offset]
    if trailer != count:
        raise DecodeError(f"Teltonika record count mismatch: {count} then {trailer}")
    return tuple(records), offset + 1


def _timestamp(milliseconds: int) -> datetime:
    # A float of seconds keeps every millisecond exact (its error is far below 1 µs).
    try:
        return datetime.fromtimestamp(milliseconds / 1000, UTC)
    except (OverflowError, ValueError, OSError):
        raise DecodeError(f"Teltonika timestamp out of range: {milliseconds}") from None


def _record(
    data: bytes, offset: int, layout: _Layout, device_id: str | None
) -> tuple[PositionRecord, int]:
    millis, priority, lon, lat, altitude, angle, satellites, speed = _FIX.unpack_from(data, offset)
    attributes, offset = _io_elements(data, offset + _FIX.size, layout, priority)
    record = PositionRecord(
        device_id,
        _timestamp(millis),
        satellites > 0,
        lat / 1e7,
        lon / 1e7,
        float(speed),
        float(angle),
        float(altitude),
        satellites,
        attributes,
    )
    return record, offset


def _io_elements(
    data: bytes, offset: int, layout: _Layout, priority: int
) -> tuple[dict[str, AttributeValue], int]:
    """Codec 8: 1-byte ids and counts. 8E: 2-byte ids and counts, plus variable-length
    values. 16: 2-byte ids, 1-byte counts, and a generation type after the event id. The
    total count is not needed: the per-size counts say the same."""
    head = layout.head.unpack_from(data, offset)
    offset += layout.head.size
    attributes: dict[str, AttributeValue] = {"priority": priority, "event": head[0]}
    if layout.generation:
        attributes["generation"] = head[1]
    count_struct = layout.count
    for element in layout.elements:
        (count,) = count_struct.unpack_from(data, offset)
        offset += count_struct.size
        for _ in range(count):
            io_id, value = element.unpack_from(data, offset)
            offset += element.size
            name, convert = IO_NAMES.get(io_id) or (f"io{io_id}", None)
            attributes[name] = value if convert is None else convert(value)
    if layout is _LAYOUTS[CODEC_8E]:
        offset = _variable_elements(data, offset, attributes)
    return attributes, offset


def _variable_elements(data: bytes, offset: int, attributes: dict[str, AttributeValue]) -> int:
    """Codec 8E's elements of any length, kept as hex."""
    (count,) = _U16.unpack_from(data, offset)
    offset += 2
    for _ in range(count):
        io_id, length = struct.unpack_from(">HH", data, offset)
        offset += 4
        value = data[offset : offset + length]
        if len(value) != length:
            raise IndexError("variable-length I/O element runs past the data")
        attributes[f"io{io_id}"] = value.hex()
        offset += length
    return offset
