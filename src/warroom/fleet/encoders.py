"""Messages as trackers send them, for the simulator, the benchmarks and the tests.

The inverse of the decoders for the few message types a moving vehicle sends: GT06 login and
position (2G 0x12 and 4G 0xA0), Teltonika IMEI and Codec 8 AVL packet, OsmAnd query, H02 V1
text and binary `$` position.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from warroom.fleet.protocols.crc import crc16_arc, crc16_x25

KMH_PER_KNOT = 1.852


@dataclass(frozen=True)
class SimFix:
    time: datetime
    lat: float
    lon: float
    speed_kmh: float = 0.0
    course: float = 0.0
    valid: bool = True
    ignition: bool | None = None


def _gt06(kind: int, body: bytes, serial: int) -> bytes:
    payload = bytes([len(body) + 5, kind]) + body + serial.to_bytes(2, "big")
    return b"\x78\x78" + payload + crc16_x25(payload).to_bytes(2, "big") + b"\r\n"


def gt06_login(imei: str, serial: int = 1) -> bytes:
    return _gt06(0x01, bytes.fromhex(imei.rjust(16, "0")), serial)


def gt06_position(fix: SimFix, serial: int) -> bytes:
    """Message 0x12 (GPS and LBS); time in UTC, speed in whole km/h."""
    cell = bytes.fromhex("01fe0a0b2c00c3a1")  # MCC 510 (Indonesia), MNC, LAC, cell id
    return _gt06(0x12, _gt06_fix(fix) + cell, serial)


def gt06_position_4g(fix: SimFix, serial: int, odometer_m: int | None = None) -> bytes:
    """Message 0xA0, the 4G position: the 4G cell has a 4-byte LAC and an 8-byte cell id;
    then ignition, upload reason (0: timer), re-upload flag and the optional odometer."""
    cell = bytes.fromhex("01fe0a") + (0x0B2C).to_bytes(4, "big") + (0xC3A1).to_bytes(8, "big")
    flags = bytes([bool(fix.ignition), 0, 0])
    odometer = b"" if odometer_m is None else odometer_m.to_bytes(4, "big")
    return _gt06(0xA0, _gt06_fix(fix) + cell + flags + odometer, serial)


def _gt06_fix(fix: SimFix) -> bytes:
    t = fix.time.astimezone(UTC)
    flags = int(fix.course) % 360 | (0x1000 if fix.valid else 0)
    flags |= 0x0400 if fix.lat >= 0 else 0
    flags |= 0x0800 if fix.lon < 0 else 0
    body = bytes([t.year - 2000, t.month, t.day, t.hour, t.minute, t.second, 0xC9])
    body += round(abs(fix.lat) * 1_800_000).to_bytes(4, "big")
    body += round(abs(fix.lon) * 1_800_000).to_bytes(4, "big")
    return body + bytes([min(255, round(fix.speed_kmh))]) + flags.to_bytes(2, "big")


def teltonika_login(imei: str) -> bytes:
    return len(imei).to_bytes(2, "big") + imei.encode()


_AVL_FIX = struct.Struct(">QBiihHBH")  # as `teltonika_avl` reads it


def _avl_record(fix: SimFix) -> bytes:
    record = _AVL_FIX.pack(
        round(fix.time.timestamp() * 1000), 0, round(fix.lon * 1e7), round(fix.lat * 1e7), 0,
        int(fix.course) % 360, 9 if fix.valid else 0, round(fix.speed_kmh),
    )  # fmt: skip
    if fix.ignition is None:
        return record + b"\x00\x00\x00\x00\x00\x00"  # event id, no I/O elements
    return record + b"\x00\x01\x01\xef" + bytes([fix.ignition]) + b"\x00\x00\x00"


def _avl_data(fixes: list[SimFix]) -> bytes:
    return bytes([0x08, len(fixes)]) + b"".join(map(_avl_record, fixes)) + bytes([len(fixes)])


def teltonika_udp(imei: str, fixes: list[SimFix], packet_id: int) -> bytes:
    body = packet_id.to_bytes(2, "big") + b"\x01" + bytes([packet_id % 256])
    body += teltonika_login(imei) + _avl_data(fixes)
    return len(body).to_bytes(2, "big") + body


def teltonika_avl(fixes: list[SimFix]) -> bytes:
    """A Codec 8 TCP packet carrying `fixes` (a device sends what it buffered at once)."""
    data = _avl_data(fixes)
    return b"\x00" * 4 + len(data).to_bytes(4, "big") + data + crc16_arc(data).to_bytes(4, "big")


def osmand_query(unique_id: str, fix: SimFix) -> str:
    """The request target the Traccar Client sends (speed in knots)."""
    params = {
        "id": unique_id,
        "timestamp": str(int(fix.time.timestamp())),
        "lat": f"{fix.lat:.6f}",
        "lon": f"{fix.lon:.6f}",
        "speed": f"{fix.speed_kmh / KMH_PER_KNOT:.2f}",
        "bearing": f"{fix.course:.1f}",
        "valid": "true" if fix.valid else "false",
    }
    return "/?" + urlencode(params)


def _ddmm(value: float, width: int) -> str:
    degrees = int(abs(value))
    minutes = (abs(value) - degrees) * 60
    return f"{degrees:0{width}d}{minutes:07.4f}"


def h02_position(imei: str, fix: SimFix) -> bytes:
    t = fix.time.astimezone(UTC)
    fields = [
        "*HQ",
        imei,
        "V1",
        t.strftime("%H%M%S"),
        "A" if fix.valid else "V",
        _ddmm(fix.lat, 2),
        "N" if fix.lat >= 0 else "S",
        _ddmm(fix.lon, 3),
        "E" if fix.lon >= 0 else "W",
        f"{fix.speed_kmh / KMH_PER_KNOT:.2f}",
        f"{fix.course:.0f}",
        t.strftime("%d%m%y"),
        "FFFFFBFF",
    ]
    return (",".join(fields) + "#").encode()


def h02_binary_position(device_id: str, fix: SimFix) -> bytes:
    """The 32-byte binary frame of a 10-digit id: BCD fields, speed in whole knots."""
    t = fix.time.astimezone(UTC)
    flags = (0x2 if fix.valid else 0) | (0x4 if fix.lat >= 0 else 0) | (0x8 if fix.lon >= 0 else 0)
    knots = min(999, round(fix.speed_kmh / KMH_PER_KNOT))
    lat, lon = _ddmm(fix.lat, 2).replace(".", ""), _ddmm(fix.lon, 3).replace(".", "")
    digits = device_id.rjust(10, "0") + t.strftime("%H%M%S%d%m%y") + lat + "06"  # battery byte
    digits += f"{lon}{flags:x}{knots:03d}{int(fix.course) % 360:03d}"
    status = bytes.fromhex("fffffbff")  # alarm bits are active low: none raised
    return b"$" + bytes.fromhex(digits) + status + b"\xff\x00\x00"  # 3 bytes decoders skip
