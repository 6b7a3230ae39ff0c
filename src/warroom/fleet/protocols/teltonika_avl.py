"""Teltonika AVL data (Codec 8, 8 Extended, 16): the part shared by the TCP and UDP envelopes.

Source: Teltonika wiki "Codec" (data sending protocols). Layout: codec id (1), record count
(1), records, record count again (1). Each record: time in ms since 1970 (8), priority (1),
longitude, latitude (signed, 1e-7 degree, 4 each), altitude (signed m, 2), angle (2),
satellites (1), speed (km/h, 2), then the I/O elements, whose id and count widths depend on the
codec. A fix with no satellites is not valid (as Traccar decides).

Every record of a busy server passes here, so fields are read with precompiled
`struct.Struct.unpack_from` at a running offset, not through a byte-at-a-time reader; reading
past the end raises `struct.error` or `IndexError`, which `parse_avl_data` turns into one
`DecodeError`. A device sends the same I/O elements record after record, so once a record's
layout (which ids, of which sizes) has been read, a `_Shape` reads the next records of that
layout with one struct for the whole record, and checks that its counts and ids match before
it is believed; anything else is read field by field again.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from datetime import UTC, datetime
from operator import itemgetter

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
        self.id_format, self.count_format = id_format, count_format
        self.head_format = id_format + ("B" if generation else "") + count_format
        self.head = struct.Struct(">" + self.head_format)
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
    shape = _LAST_SHAPE.get(codec)
    for _ in range(count):
        record = shape.read(data, offset, device_id) if shape is not None else None
        if record is not None and shape is not None:
            offset += shape.size
        else:
            record, offset, ids = _record(data, offset, layout, device_id)
            shape = _shape(codec, ids)
        records.append(record)
    trailer = data[offset]
    if trailer != count:
        raise DecodeError(f"Teltonika record count mismatch: {count} then {trailer}")
    return tuple(records), offset + 1


def _timestamp(milliseconds: int) -> datetime:
    """Trackers report whole seconds that many of them share: the datetimes (immutable) of
    recent ones are kept, a lookup costing a seventh of building one."""
    moment = _RECENT_TIMES.get(milliseconds)
    if moment is not None:
        return moment
    if len(_RECENT_TIMES) >= MAX_REMEMBERED:
        _RECENT_TIMES.clear()
    # A float of seconds keeps every millisecond exact (its error is far below 1 µs).
    try:
        moment = _RECENT_TIMES[milliseconds] = datetime.fromtimestamp(milliseconds / 1000, UTC)
    except (OverflowError, ValueError, OSError):
        raise DecodeError(f"Teltonika timestamp out of range: {milliseconds}") from None
    return moment


_Ids = tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[int, ...]]


class _Shape:
    """One record layout (the I/O ids of each value size, no variable-length elements) read
    with a single struct. `read` believes it only when the counts and ids it read are the
    layout's own, so any other record falls back to the field-by-field read."""

    __slots__ = ("_check", "_elements", "_expected", "_generation", "_struct", "size")

    def __init__(self, layout: _Layout, ids: _Ids) -> None:
        formats = [">", _FIX.format[1:], layout.head_format]
        position = 8 + len(layout.head_format)  # the fix's fields, event, [generation], total
        checks: list[int] = []
        expected: list[int] = []
        self._elements: list[tuple[str, Callable[[int], AttributeValue] | None, int]] = []
        for sized, value_format in zip(ids, _VALUE_FORMATS, strict=True):
            formats.append(layout.count_format)
            checks.append(position)
            expected.append(len(sized))
            position += 1
            for io_id in sized:
                formats.append(layout.id_format + value_format)
                checks.append(position)
                expected.append(io_id)
                self._elements.append((*_io_name(io_id), position + 1))
                position += 2
        if layout is _LAYOUTS[CODEC_8E]:
            formats.append("H")  # the count of variable-length elements: none
            checks.append(position)
            expected.append(0)
        self._struct = struct.Struct("".join(formats))
        self.size = self._struct.size
        self._check, self._expected = itemgetter(*checks), tuple(expected)
        self._generation = layout.generation

    def read(self, data: bytes, offset: int, device_id: str | None) -> PositionRecord | None:
        """The record at `offset` if it has this layout, else None."""
        if len(data) - offset < self.size:
            return None
        fields = self._struct.unpack_from(data, offset)
        if self._check(fields) != self._expected:
            return None
        attributes: dict[str, AttributeValue] = {"priority": fields[1], "event": fields[8]}
        if self._generation:
            attributes["generation"] = fields[9]
        for name, convert, position in self._elements:
            value = fields[position]
            attributes[name] = value if convert is None else convert(value)
        return _position(device_id, fields, attributes)


def _shape(codec: int, ids: _Ids | None) -> _Shape | None:
    """The shape of a layout just read (built once), now the first one tried for the codec."""
    if ids is None:
        return None
    shape = _SHAPES.get((codec, ids))
    if shape is None:
        if len(_SHAPES) >= MAX_REMEMBERED:  # a stream of odd layouts must not grow memory
            _SHAPES.clear()
        shape = _SHAPES[(codec, ids)] = _Shape(_LAYOUTS[codec], ids)
    _LAST_SHAPE[codec] = shape
    return shape


# Decoding runs on the event loop's thread (and the CLI's): these need no lock.
MAX_REMEMBERED = 4096
_RECENT_TIMES: dict[int, datetime] = {}
_SHAPES: dict[tuple[int, _Ids], _Shape] = {}
_LAST_SHAPE: dict[int, _Shape] = {}


def _record(
    data: bytes, offset: int, layout: _Layout, device_id: str | None
) -> tuple[PositionRecord, int, _Ids | None]:
    """One record read field by field, and its layout (None: it has variable-length
    elements, which no fixed struct reads)."""
    fix = _FIX.unpack_from(data, offset)
    attributes, offset, ids = _io_elements(data, offset + _FIX.size, layout, fix[1])
    return _position(device_id, fix, attributes), offset, ids


def _position(
    device_id: str | None, fix: tuple[int, ...], attributes: dict[str, AttributeValue]
) -> PositionRecord:
    """The record from the fix fields as `_FIX` reads them (also the head of a `_Shape`)."""
    millis, _, lon, lat, altitude, angle, satellites, speed = fix[:8]
    return PositionRecord(
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


def _io_elements(
    data: bytes, offset: int, layout: _Layout, priority: int
) -> tuple[dict[str, AttributeValue], int, _Ids | None]:
    """Codec 8: 1-byte ids and counts. 8E: 2-byte ids and counts, plus variable-length
    values. 16: 2-byte ids, 1-byte counts, and a generation type after the event id. The
    total count is not needed: the per-size counts say the same."""
    head = layout.head.unpack_from(data, offset)
    offset += layout.head.size
    attributes: dict[str, AttributeValue] = {"priority": priority, "event": head[0]}
    if layout.generation:
        attributes["generation"] = head[1]
    count_struct = layout.count
    ids: list[tuple[int, ...]] = []
    for element in layout.elements:
        (count,) = count_struct.unpack_from(data, offset)
        offset += count_struct.size
        sized = []
        for _ in range(count):
            io_id, value = element.unpack_from(data, offset)
            offset += element.size
            name, convert = _io_name(io_id)
            attributes[name] = value if convert is None else convert(value)
            sized.append(io_id)
        ids.append(tuple(sized))
    if layout is _LAYOUTS[CODEC_8E]:
        (variable,) = _U16.unpack_from(data, offset)
        offset = _variable_elements(data, offset, attributes)
        if variable:
            return attributes, offset, None
    return attributes, offset, (ids[0], ids[1], ids[2], ids[3])


def _io_name(io_id: int) -> tuple[str, Callable[[int], AttributeValue] | None]:
    return IO_NAMES.get(io_id) or (f"io{io_id}", None)


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
