"""Teltonika AVL data (Codec 8, 8 Extended, 16): the part shared by the TCP and UDP envelopes.

Source: Teltonika wiki "Codec" (data sending protocols). Layout: codec id (1), record count
(1), records, record count again (1). Each record: time in ms since 1970 (8), priority (1),
longitude, latitude (signed, 1e-7 degree, 4 each), altitude (signed m, 2), angle (2),
satellites (1), speed (km/h, 2), then the I/O elements, whose id and count widths depend on the
codec. A fix with no satellites is not valid (as Traccar decides).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from warroom.fleet.protocols.binreader import Reader
from warroom.fleet.protocols.records import AttributeValue, DecodeError, PositionRecord

CODEC_8 = 0x08
CODEC_8E = 0x8E
CODEC_16 = 0x10
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
VALUE_SIZES = (1, 2, 4, 8)

# The few I/O ids every FMB/FMC model shares; the rest stay as "io<ID>".
IO_NAMES: dict[int, tuple[str, Callable[[int], AttributeValue]]] = {
    239: ("ignition", bool),
    240: ("motion", bool),
    21: ("rssi", int),
    16: ("odometer", int),
    66: ("power", lambda mv: mv / 1000),
    67: ("battery", lambda mv: mv / 1000),
    181: ("pdop", lambda v: v / 10),
    182: ("hdop", lambda v: v / 10),
}


def parse_avl_data(data: Reader, device_id: str | None) -> tuple[PositionRecord, ...]:
    codec = data.u8()
    if codec not in (CODEC_8, CODEC_8E, CODEC_16):
        raise DecodeError(f"Teltonika codec 0x{codec:02x} is not supported (8, 8E, 16 are)")
    count = data.u8()
    records = tuple(_record(data, codec, device_id) for _ in range(count))
    trailer = data.u8()
    if trailer != count:
        raise DecodeError(f"Teltonika record count mismatch: {count} then {trailer}")
    return records


def _timestamp(milliseconds: int) -> datetime:
    try:
        return EPOCH + timedelta(milliseconds=milliseconds)
    except OverflowError:
        raise DecodeError(f"Teltonika timestamp out of range: {milliseconds}") from None


def _record(data: Reader, codec: int, device_id: str | None) -> PositionRecord:
    time = _timestamp(data.uint(8))
    priority = data.u8()
    lon = data.sint(4) / 1e7
    lat = data.sint(4) / 1e7
    altitude = float(data.sint(2))
    course = float(data.u16())
    satellites = data.u8()
    speed = float(data.u16())
    attributes: dict[str, AttributeValue] = {"priority": priority}
    attributes.update(_io_elements(data, codec))
    return PositionRecord(
        device_id=device_id,
        time=time,
        valid=satellites > 0,
        lat=lat,
        lon=lon,
        speed_kmh=speed,
        course=course,
        altitude=altitude,
        satellites=satellites,
        attributes=attributes,
    )


def _io_elements(data: Reader, codec: int) -> dict[str, AttributeValue]:
    """Codec 8: 1-byte ids and counts. 8E: 2-byte ids and counts, plus variable-length
    values. 16: 2-byte ids, 1-byte counts, and a generation type after the event id."""
    wide_ids = codec != CODEC_8
    count_size = 2 if codec == CODEC_8E else 1
    attributes: dict[str, AttributeValue] = {"event": data.uint(2 if wide_ids else 1)}
    if codec == CODEC_16:
        attributes["generation"] = data.u8()
    data.uint(count_size)  # total count: the per-size counts below say the same
    for size in VALUE_SIZES:
        for _ in range(data.uint(count_size)):
            io_id = data.uint(2 if wide_ids else 1)
            name, convert = IO_NAMES.get(io_id, (f"io{io_id}", int))
            attributes[name] = convert(data.uint(size))
    if codec == CODEC_8E:
        for _ in range(data.u16()):
            io_id = data.u16()
            attributes[f"io{io_id}"] = data.take(data.u16()).hex()
    return attributes
