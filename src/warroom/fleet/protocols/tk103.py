"""TK103 (TCP 5002) and GPS103 (TCP 5001), the two text protocols of the Xexun/Coban family.

TK103 (source: TK103 protocol v1.x, Traccar's Tk103ProtocolDecoder): `(ID CMD DATA)` with a
12-digit id and a 4-character command. Fix data: `YYMMDD A|V DDMM.MMMM N|S DDDMM.MMMM E|W
SPEED(km/h, ddd.d) HHMMSS COURSE(ddd.dd) IO(8) L MILEAGE(hex m)`. Acks the device waits for:
handshake BP00 -> `(ID AP01HSO)`, login BP05 -> `(ID AP05)`, alarm BO01 -> `(ID AS01<code>)`;
position reports (BR00...) need none.

GPS103 (source: Coban GPS103 protocol, Traccar's Gps103ProtocolDecoder): `;`-terminated
messages. Login `##,imei:ID,A;` -> `LOAD`; heartbeat `ID;` -> `ON`; reports
`imei:ID,KEYWORD,YYMMDDhhmm[ss],PHONE,F|L,HHMMSS.sss,A|V,LAT,N,LON,E,SPEED(knots),COURSE...;`.
The date field is in the device's local time and the second time field in UTC: the offset
between the two clocks (to within ±12 h) moves the local date to UTC, as Traccar does.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from warroom.fleet.protocols.framing import DelimitedFramer
from warroom.fleet.protocols.records import (
    AlarmRecord,
    Decoded,
    DecodeError,
    HeartbeatRecord,
    LoginRecord,
    PositionRecord,
    Record,
)
from warroom.fleet.protocols.session import Session
from warroom.fleet.protocols.textfields import (
    as_text,
    degrees_minutes,
    knots,
    number,
    optional_number,
    utc_datetime,
)

_TK103 = re.compile(r"\((\d{1,20})([A-Z]{2}\d{2})(.*)\)", re.DOTALL)
_TK103_FIX = re.compile(
    r"(\d{6})([AV])(\d+\.\d+)([NS])(\d+\.\d+)([EW])(\d{3}\.\d)(\d{6})(\d{3}\.\d{2})"
    r"(?:([01]{8})L([0-9A-Fa-f]{1,16}))?"
)
TK103_ALARMS = {
    "0": "power_off",
    "1": "accident",
    "2": "sos",
    "3": "anti_theft",
    "4": "low_speed",
    "5": "overspeed",
    "6": "geofence_exit",
}
GPS103_ALARMS = {
    "help me": "sos",
    "low battery": "low_battery",
    "move": "movement",
    "speed": "overspeed",
    "stockade": "geofence",
    "ac alarm": "power_cut",
    "door alarm": "door",
    "sensor alarm": "vibration",
}
_GPS103_LOCAL = re.compile(r"(\d{6})(\d\d)(\d\d)(\d\d)?")
GPS103_FIX_FIELDS = 13


def tk103_framer() -> DelimitedFramer:
    return DelimitedFramer(b"(", b")")


def gps103_framer() -> DelimitedFramer:
    return DelimitedFramer(None, b";")


def decode_tk103(frame: bytes, session: Session) -> Decoded:
    match = _TK103.fullmatch(as_text(frame, "TK103"))
    if match is None:
        raise DecodeError("TK103 message must be '(' id command data ')'")
    device_id, command, data = match.groups()
    session.device_id = device_id
    if command == "BP00":
        return Decoded((HeartbeatRecord(device_id),), f"({device_id}AP01HSO)".encode())
    if command == "BP05":
        position = _tk103_fix(device_id, data[15:])  # the IMEI precedes the fix
        reply = f"({device_id}AP05)".encode()
        return Decoded((LoginRecord(device_id), position), reply)
    if command == "BO01":
        code = data[:1]
        alarm = AlarmRecord(
            device_id, TK103_ALARMS.get(code, f"alarm_{code}"), _tk103_fix(device_id, data[1:])
        )
        return Decoded((alarm,), f"({device_id}AS01{code})".encode())
    if command.startswith("BR"):
        return Decoded((_tk103_fix(device_id, data),))
    return Decoded()


def _tk103_fix(device_id: str, data: str) -> PositionRecord:
    fix = _TK103_FIX.match(data)
    if fix is None:
        raise DecodeError(f"TK103 position data is malformed: {data[:80]!r}")
    date, validity, lat, north, lon, east, speed, clock, course, io, mileage = fix.groups()
    attributes = {"io": io, "odometer": int(mileage, 16)} if mileage else {}
    return PositionRecord(
        device_id=device_id,
        time=utc_datetime(date, clock, "TK103", year_first=True),
        valid=validity == "A",
        lat=degrees_minutes(lat, north, "TK103 latitude"),
        lon=degrees_minutes(lon, east, "TK103 longitude"),
        speed_kmh=number(speed, "TK103 speed"),
        course=number(course, "TK103 course"),
        attributes=attributes,
    )


def decode_gps103(frame: bytes, session: Session) -> Decoded:
    text = as_text(frame, "GPS103").removesuffix(";").strip()
    if text.startswith("##,imei:"):
        device_id = _device_id(text[8:].split(",")[0])
        session.device_id = device_id
        return Decoded((LoginRecord(device_id),), b"LOAD")
    if text.isdigit():
        session.device_id = _device_id(text)
        return Decoded((HeartbeatRecord(text),), b"ON")
    if not text.startswith("imei:"):
        raise DecodeError("GPS103 message must start with 'imei:', '##,imei:' or be an IMEI")
    fields = text[5:].split(",")
    session.device_id = _device_id(fields[0])
    return _gps103_report(fields)


def _device_id(text: str) -> str:
    if not text.isdigit() or len(text) > 20:
        raise DecodeError(f"GPS103 IMEI must be digits, got {text[:40]!r}")
    return text


def _gps103_report(fields: list[str]) -> Decoded:
    if len(fields) < GPS103_FIX_FIELDS:
        raise DecodeError(f"GPS103 report has {len(fields)} fields, needs {GPS103_FIX_FIELDS}")
    device_id, keyword, local, _phone, fix_kind, clock, validity = fields[:7]
    lat, north, lon, east, speed, course = fields[7:13]
    if fix_kind != "F" or not (lat and lon):
        return Decoded()  # "L": a cell-tower report without a GPS fix
    altitude = optional_number(fields[13], "GPS103 altitude") if len(fields) > 13 else None
    position = PositionRecord(
        device_id=device_id,
        time=_gps103_time(local, clock),
        valid=validity == "A",
        lat=degrees_minutes(lat, north, "GPS103 latitude"),
        lon=degrees_minutes(lon, east, "GPS103 longitude"),
        speed_kmh=knots(speed, "GPS103 speed"),
        course=optional_number(course, "GPS103 course"),
        altitude=altitude,
        attributes={"event": keyword},
    )
    record: Record = position
    if keyword in GPS103_ALARMS:
        record = AlarmRecord(device_id, GPS103_ALARMS[keyword], position)
    return Decoded((record,))


def _gps103_time(local: str, clock: str) -> datetime:
    """Local date and hh:mm, seconds from the UTC clock; shift by the hh:mm difference."""
    match = _GPS103_LOCAL.fullmatch(local)
    if match is None:
        raise DecodeError(f"GPS103 local time must be YYMMDDhhmm[ss], got {local!r}")
    date, hours, minutes, seconds = match.groups()
    if not clock:
        return utc_datetime(date, f"{hours}{minutes}{seconds or '00'}", "GPS103", year_first=True)
    utc_clock = utc_datetime("010100", clock, "GPS103 UTC time")
    moment = utc_datetime(date, f"{hours}{minutes}00", "GPS103", year_first=True)
    moment = moment.replace(second=utc_clock.second, microsecond=utc_clock.microsecond)
    delta = (int(hours) - utc_clock.hour) * 60 + int(minutes) - utc_clock.minute
    if delta <= -12 * 60:
        delta += 24 * 60
    elif delta > 12 * 60:
        delta -= 24 * 60
    return moment - timedelta(minutes=delta)
