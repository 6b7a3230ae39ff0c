"""What a decoder produces: typed records, the reply bytes, and the one error type.

Records are plain frozen data with no I/O so listeners, the CLI and tests share them.
`to_json_dict()` gives the shape printed by `warroom fleet decode` (one JSON object per line).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, NamedTuple, NoReturn

AttributeValue = bool | int | float | str
Attributes = Mapping[str, AttributeValue]


class DecodeError(ValueError):
    """The input is not a valid message of the protocol; the message says what is wrong."""


def _no_attributes() -> Attributes:
    return {}


NO_ATTRIBUTES: Attributes = MappingProxyType({})
_new_tuple = tuple.__new__


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a `Z`; milliseconds only when the device sent them."""
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond // 1000:03d}"
    return text + "Z"


class _PositionFields(NamedTuple):
    device_id: str | None
    time: datetime
    valid: bool
    lat: float
    lon: float
    speed_kmh: float | None = None
    course: float | None = None
    altitude: float | None = None
    satellites: int | None = None
    attributes: Attributes = NO_ATTRIBUTES


class PositionRecord(_PositionFields):
    """One fix. Speeds are km/h, course degrees, altitude metres; `device_id` is None when
    the frame carries no id and the connection has not logged in.

    An immutable tuple rather than a frozen dataclass: a busy server builds tens of thousands
    a second, and a frozen dataclass costs several times more to construct.
    """

    __slots__ = ()

    def __new__(
        cls,
        device_id: str | None,
        time: datetime,
        valid: bool,
        lat: float,
        lon: float,
        speed_kmh: float | None = None,
        course: float | None = None,
        altitude: float | None = None,
        satellites: int | None = None,
        attributes: Attributes = NO_ATTRIBUTES,
    ) -> PositionRecord:
        # Checked here once so that no decoder can emit an impossible fix. The comparisons
        # are also false for NaN.
        if time.tzinfo is None:
            raise DecodeError("position time has no time zone")
        if not -90.0 <= lat <= 90.0:
            raise DecodeError(f"latitude out of range: {lat}")
        if not -180.0 <= lon <= 180.0:
            raise DecodeError(f"longitude out of range: {lon}")
        # Three plain tests rather than a loop over (name, value) pairs built per fix.
        if speed_kmh is not None and not _isfinite(speed_kmh):
            _not_finite("speed_kmh", speed_kmh)
        if course is not None and not _isfinite(course):
            _not_finite("course", course)
        if altitude is not None and not _isfinite(altitude):
            _not_finite("altitude", altitude)
        return _new_tuple(
            cls,
            (device_id, time, valid, lat, lon, speed_kmh, course, altitude, satellites, attributes),
        )

    def to_json_dict(self) -> dict[str, Any]:
        return {"kind": "position", **self.fix_json()}

    def fix_json(self) -> dict[str, Any]:
        """The fields of the fix without `kind` (alarms reuse them)."""
        return {
            "device_id": self.device_id,
            "time": iso_utc(self.time),
            "valid": self.valid,
            "lat": self.lat,
            "lon": self.lon,
            "speed_kmh": self.speed_kmh,
            "course": self.course,
            "altitude": self.altitude,
            "satellites": self.satellites,
            "attributes": dict(self.attributes),
        }


def _not_finite(name: str, value: float) -> NoReturn:
    raise DecodeError(f"{name} is not a finite number: {value}")


_isfinite = math.isfinite


@dataclass(frozen=True)
class LoginRecord:
    """The device said who it is; later frames on the connection belong to `device_id`."""

    device_id: str

    def to_json_dict(self) -> dict[str, Any]:
        return {"kind": "login", "device_id": self.device_id}


@dataclass(frozen=True)
class HeartbeatRecord:
    """A keep-alive, possibly with status (battery, signal) but no fix."""

    device_id: str | None
    attributes: Attributes = field(default_factory=_no_attributes)

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "kind": "heartbeat",
            "device_id": self.device_id,
            "attributes": dict(self.attributes),
        }


@dataclass(frozen=True)
class AlarmRecord:
    """An alarm raised by the device (`alarm` is a short name such as "sos"), with the fix
    it came with when there is one."""

    device_id: str | None
    alarm: str
    position: PositionRecord | None = None

    def to_json_dict(self) -> dict[str, Any]:
        fix = self.position.fix_json() if self.position else {}
        return {**fix, "kind": "alarm", "device_id": self.device_id, "alarm": self.alarm}


Record = PositionRecord | LoginRecord | HeartbeatRecord | AlarmRecord


@dataclass(frozen=True)
class Decoded:
    """The result of one message: its records and the bytes the device expects back
    (None when it expects nothing)."""

    records: tuple[Record, ...] = ()
    reply: bytes | None = None

    def to_json_lines(self) -> list[dict[str, Any]]:
        """CLI shape: one dict per record; the reply is shown on the last record as
        `reply_hex`, or on its own `{"kind": "ack"}` line when the message had no record."""
        lines = [record.to_json_dict() for record in self.records]
        if self.reply is None:
            return lines
        if not lines:
            return [{"kind": "ack", "reply_hex": self.reply.hex()}]
        lines[-1]["reply_hex"] = self.reply.hex()
        return lines
