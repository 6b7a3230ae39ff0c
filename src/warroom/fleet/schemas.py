"""Request and response bodies of the fleet API. Unknown fields are refused.

Updates are partial: a field left out keeps its value, `null` clears only a field that may be
empty (agency, speed limit, a device's vehicle); `null` for any other field is refused, as
the database would refuse it later with a less helpful error. Geofence geometry is checked
as GeoJSON (RFC 7946) here, before it is stored: one stored fence that cannot be built would
otherwise reach every process that loads the fences.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from warroom.core.schemas import Strict, not_null
from warroom.fleet.protocols import PROTOCOLS
from warroom.geo.coords import check_lat_lon
from warroom.geo.errors import GeoInputError

VehicleKind = Literal[
    "ambulance", "fire_truck", "garbage_truck", "bus", "patrol_car", "official_car", "other"
]
PLATE_PATTERN = r"^[A-Z0-9][A-Z0-9 -]{1,19}$"
UNIQUE_ID_PATTERN = r"^[A-Za-z0-9._:/-]{1,64}$"  # OwnTracks ids are topics: owntracks/user/phone
PROTOCOL_PATTERN = "^(" + "|".join(sorted(PROTOCOLS)) + ")$"
MAX_ID = 2**31 - 1  # the id columns are 32-bit integers on PostgreSQL
MAX_FENCE_POSITIONS = 10_000  # per ring or line: a city zone needs far fewer
MAX_FENCE_HOLES = 50
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
Capability = Annotated[str, Field(min_length=1, max_length=40)]


def _zoned(moment: datetime) -> datetime:
    """A period bound: with a zone (the war room is in WITA, servers in UTC), and one that
    still exists once moved to UTC, as the database stores it (0001-01-01T00:00+08:00 not)."""
    if moment.tzinfo is None:
        raise ValueError("needs a zone, e.g. 2026-11-27T08:00:00+08:00")
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range: in UTC it falls outside years 1 to 9999") from None
    return moment


Moment = Annotated[datetime, AfterValidator(_zoned)]


class VehicleCreate(Strict):
    plate: str = Field(pattern=PLATE_PATTERN, description="Number plate, upper case: DD 1234 XY.")
    name: str = Field(default="", max_length=120)
    kind: VehicleKind
    agency_code: str | None = Field(default=None, max_length=30)
    capabilities: list[Capability] = Field(default_factory=list, max_length=20)
    driver: str = Field(default="", max_length=120)
    speed_limit_kmh: float | None = Field(default=None, gt=0, le=300)


class VehicleUpdate(Strict):
    name: str | None = Field(default=None, max_length=120)
    kind: VehicleKind | None = None
    agency_code: str | None = Field(default=None, max_length=30)
    capabilities: list[Capability] | None = Field(default=None, max_length=20)
    driver: str | None = Field(default=None, max_length=120)
    speed_limit_kmh: float | None = Field(default=None, gt=0, le=300)
    active: bool | None = None

    _present = not_null("name", "kind", "capabilities", "driver", "active")


class VehicleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    plate: str
    name: str
    kind: str
    agency_code: str | None
    capabilities: list[str]
    driver: str
    speed_limit_kmh: float | None
    active: bool


class DeviceCreate(Strict):
    unique_id: str = Field(pattern=UNIQUE_ID_PATTERN, description="IMEI or app id.")
    protocol: str = Field(pattern=PROTOCOL_PATTERN)
    vehicle_id: RowId | None = None


class DeviceUpdate(Strict):
    protocol: str | None = Field(default=None, pattern=PROTOCOL_PATTERN)
    vehicle_id: RowId | None = None
    active: bool | None = None

    _present = not_null("protocol", "active")


class DeviceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    unique_id: str
    protocol: str
    vehicle_id: int | None
    active: bool


class UnknownDeviceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    unique_id: str
    protocol: str
    remote: str
    first_seen_at: datetime
    last_seen_at: datetime
    attempts: int


def _on_earth(position: list[float]) -> list[float]:
    try:
        check_lat_lon(position[1], position[0])
    except GeoInputError as exc:
        raise ValueError(exc.message) from None
    return position


def _closed(ring: list[list[float]]) -> list[list[float]]:
    if ring[0][:2] != ring[-1][:2]:
        raise ValueError("a polygon ring must end at the position it starts from")
    return ring


Coordinate = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Position = Annotated[
    list[Coordinate],
    Field(min_length=2, max_length=3, description="[longitude, latitude] or with altitude."),
    AfterValidator(_on_earth),
]
Ring = Annotated[
    list[Position], Field(min_length=4, max_length=MAX_FENCE_POSITIONS), AfterValidator(_closed)
]


class PolygonGeometry(Strict):
    type: Literal["Polygon"]
    coordinates: list[Ring] = Field(
        min_length=1, max_length=MAX_FENCE_HOLES + 1, description="Outer ring, then holes."
    )


class PointGeometry(Strict):
    type: Literal["Point"]
    coordinates: Position


class LineStringGeometry(Strict):
    type: Literal["LineString"]
    coordinates: list[Position] = Field(min_length=2, max_length=MAX_FENCE_POSITIONS)


FenceGeometry = Annotated[
    PolygonGeometry | PointGeometry | LineStringGeometry, Field(discriminator="type")
]
SIZE_FOR = {"Point": "radius_m", "LineString": "half_width_m", "Polygon": None}


class GeofenceCreate(Strict):
    name: str = Field(min_length=1, max_length=120)
    geometry: FenceGeometry = Field(
        description="GeoJSON Polygon, Point (with radius_m) or LineString (with half_width_m)."
    )
    radius_m: float | None = Field(default=None, gt=0, le=100_000)
    half_width_m: float | None = Field(default=None, gt=0, le=10_000)
    agency_code: str | None = Field(default=None, max_length=30)

    @model_validator(mode="after")
    def _size_matches_shape(self) -> Self:
        """A Point needs its radius, a LineString its half width, and neither fits elsewhere
        (a radius sent with a polygon would be silently ignored)."""
        kind = self.geometry.type
        needed = SIZE_FOR[kind]
        for name in ("radius_m", "half_width_m"):
            given = getattr(self, name) is not None
            if name == needed and not given:
                raise ValueError(f"a {kind} geofence needs {name}")
            if name != needed and given:
                raise ValueError(f"{name} does not apply to a {kind} geofence")
        return self


class GeofenceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    geometry: dict[str, Any]
    radius_m: float | None
    half_width_m: float | None
    agency_code: str | None
    active: bool


class LiveVehicle(BaseModel):
    """One row of the live map / vehicle list."""

    vehicle_id: int | None
    device_id: int
    unique_id: str
    plate: str | None
    name: str | None
    kind: str | None
    agency_code: str | None
    online: bool
    moving: bool
    last_seen_at: datetime | None
    fix_time: datetime | None
    lat: float | None
    lon: float | None
    speed_kmh: float | None
    course: float | None


class PositionRead(BaseModel):
    time: datetime
    lat: float
    lon: float
    speed_kmh: float | None
    course: float | None
    valid: bool
