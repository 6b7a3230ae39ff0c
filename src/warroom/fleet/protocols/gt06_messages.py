"""GT06 / Concox message bodies: the fix, the cell, the status byte and each type's layout.

Sources: Concox GT06 protocol v1.8, the Concox 4G documents (JM-VL03, JM-LL301) and the
layouts Traccar's Gt06ProtocolDecoder reads. `gt06` checks the frame and picks the layout by
message type; everything here reads the body between the type byte and the serial number.

- Positions: 0x10 (fix only), 0x12 (fix and cell), 0x22 (2G: fix, cell, ignition, upload
  reason, re-upload flag), 0x37 (as 0x22, then type-length-value modules), 0xA0 (the 4G 0x22:
  its cell has a 4-byte LAC and an 8-byte cell id, then an optional odometer).
- Alarms: 0x16, 0x26, 0x27 and the 4G 0xA4. Their cell is length-prefixed, so the 2G and 4G
  widths need no special case.
- Status without a fix: heartbeats 0x13 (battery level 0-6) and 0x23 (battery volts), and
  the information packet 0x94 (external power, ICCID, door, network...).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from warroom.fleet.protocols.binreader import Reader
from warroom.fleet.protocols.records import (
    NO_ATTRIBUTES,
    AlarmRecord,
    Attributes,
    AttributeValue,
    DecodeError,
    HeartbeatRecord,
    PositionRecord,
    Record,
)
from warroom.fleet.protocols.session import Session

_FIX = struct.Struct(">6BBIIBH")  # date and time, satellites, lat, lon, speed, course and flags
GPS_ONLY = 0x10
UPLOAD_FLAGS_TYPES = frozenset({0x22, 0x37, 0xA0})  # ignition, upload reason, re-upload
MODULES_TYPE = 0x37
WIDE_CELL_TYPE = 0xA0
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
Attrs = dict[str, AttributeValue]


def fix(body: Reader, session: Session, attributes: Attributes = NO_ATTRIBUTES) -> PositionRecord:
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


def position(kind: int, body: Reader, session: Session) -> PositionRecord:
    """The fix, then what the type adds after it: read before the record is built so that
    it is built once."""
    start = body.offset
    body.skip(_FIX.size)
    attributes: Attrs = {}
    if kind != GPS_ONLY and body.remaining >= 8:  # some firmwares send the fix alone
        attributes.update(cell(body, wide=kind == WIDE_CELL_TYPE))
    if kind in UPLOAD_FLAGS_TYPES and body.remaining >= 3:
        attributes["ignition"] = body.u8() > 0
        attributes["event"] = body.u8()  # why it was sent: timer, distance, turn, ACC...
        attributes["archive"] = body.u8() == 1  # stored while offline, sent late
    if kind == WIDE_CELL_TYPE and body.remaining >= 4:
        attributes["odometer"] = body.uint(4)  # metres
    if kind == MODULES_TYPE:
        attributes.update(_modules(body))
    body.offset = start
    return fix(body, session, attributes or NO_ATTRIBUTES)


# Cell layouts by (4G, 2-byte MNC): MCC, MNC, LAC, then the cell id in two parts.
_CELLS = {
    (False, False): struct.Struct(">HBHBH"),
    (False, True): struct.Struct(">HHHBH"),
    (True, False): struct.Struct(">HBIII"),
    (True, True): struct.Struct(">HHIII"),
}


def cell(body: Reader, *, wide: bool) -> Attrs:
    """MCC (bit 15 set: the MNC takes 2 bytes), MNC, LAC and cell id; the LAC and cell id
    are 2 and 3 bytes on 2G, 4 and 8 bytes in the 4G position 0xA0."""
    start = body.offset
    layout = _CELLS[wide, False]
    fields = layout.unpack(body.take(layout.size))
    if fields[0] & 0x8000:  # read again with the 2-byte MNC
        body.offset = start
        layout = _CELLS[wide, True]
        fields = layout.unpack(body.take(layout.size))
    mcc, mnc, lac, cid_high, cid_low = fields
    cid = cid_high << (32 if wide else 16) | cid_low
    return {"mcc": mcc & 0x7FFF, "mnc": mnc, "lac": lac, "cid": cid}


# 0x37 modules: type -> (attribute, scale); value sizes come from each module's length byte.
_MODULES = {0x0027: ("power", 0.01), 0x002E: ("odometer", 1), 0x003B: ("accuracy", 0.01)}


def _modules(body: Reader) -> Attrs:
    """Type (2), length (1), value: power (V), odometer (m), fix accuracy (m); others skipped."""
    attributes: Attrs = {}
    while body.remaining >= 3:
        kind, size = body.u16(), body.u8()
        value = body.uint(size)
        if kind in _MODULES:
            name, scale = _MODULES[kind]
            attributes[name] = value if scale == 1 else round(value * scale, 2)
    return attributes


def alarm(body: Reader, session: Session) -> Record:
    """The fix, a cell whose length byte counts itself, the status and the alarm code."""
    start = body.offset
    body.skip(_FIX.size)
    cell_length = body.u8()
    body.skip(max(cell_length - 1, 0))
    attributes = status(body)
    code = body.u8()
    end = body.offset
    body.offset = start
    found = fix(body, session, attributes)
    body.offset = end
    if code == 0:
        return found
    return AlarmRecord(session.device_id, ALARMS.get(code, f"alarm_0x{code:02x}"), found)


def _terminal(info: int) -> Attrs:
    return {
        "armed": bool(info & 0x01),
        "ignition": bool(info & 0x02),
        "charging": bool(info & 0x04),
    }


def status(body: Reader) -> Attrs:
    """Terminal info, battery level (0-6) and GSM signal (0-4) of heartbeats and alarms."""
    return {**_terminal(body.u8()), "battery_level": body.u8(), "rssi": body.u8()}


def heartbeat(kind: int, body: Reader, session: Session) -> HeartbeatRecord:
    """0x13 carries the battery as a level, 0x23 (GK310, JM-LL301) as centivolts."""
    if kind == 0x13:
        return HeartbeatRecord(session.device_id, status(body))
    attributes = _terminal(body.u8())
    attributes["battery_voltage"] = round(body.u16() * 0.01, 2)
    attributes["rssi"] = body.u8()
    return HeartbeatRecord(session.device_id, attributes)


def info(body: Reader, session: Session, *, extended: bool) -> HeartbeatRecord:
    """0x94: in a 7878 frame only the external power voltage; in a 7979 frame a sub-type
    byte, then its content. Unknown sub-types keep their bytes as hex."""
    if not extended:
        return HeartbeatRecord(session.device_id, {"power": round(body.sint(2) * 0.01, 2)})
    subtype = body.u8()
    content = body.take(body.remaining)
    read = _INFO.get(subtype)
    attributes: Attrs = {"info_type": subtype}
    attributes.update(read(content) if read else {"info": content.hex()})
    return HeartbeatRecord(session.device_id, attributes)


def _info_power(content: bytes) -> Attrs:
    return {"power": round(Reader(content, "GT06 power info").u16() * 0.01, 2)}


def _info_status_text(content: bytes) -> Attrs:
    """Terminal status sync, `ALM1=..;STA1=..;DYD=..;`: kept as sent."""
    return {"status_text": content.decode("ascii", errors="replace")}


def _info_door(content: bytes) -> Attrs:
    """One flags byte (newer firmwares put a 6-byte time before it)."""
    if not content:
        raise DecodeError("GT06 door info is empty")
    return {"door": bool(content[-1] & 0x01)}


def _info_sim(content: bytes) -> Attrs:
    """IMEI (8), IMSI (8), ICCID (10), all BCD with padding nibbles."""
    reader = Reader(content, "GT06 SIM info")
    reader.skip(8)
    imsi = reader.take(8).hex().lstrip("0")
    return {"imsi": imsi, "iccid": reader.take(10).hex().replace("f", "")}


def _info_network(content: bytes) -> Attrs:
    return {"network": "4G" if Reader(content, "GT06 network info").u8() else "2G"}


_INFO: dict[int, Callable[[bytes], Attrs]] = {
    0x00: _info_power,
    0x04: _info_status_text,
    0x05: _info_door,
    0x0A: _info_sim,
    0x0B: _info_network,
}
