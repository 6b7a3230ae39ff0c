"""Tables of the fleet domain.

`fleet_positions` is the big one: written only by batched Core inserts (group commit) and read
by reports and replay through the (vehicle, time) and (device, time) indexes. The latest state
of each device lives in `fleet_device_states`, refreshed every few seconds from memory: the
positions table is the durable record, the state table a restart cache.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from warroom.core.clock import utcnow
from warroom.core.db import Base, UtcDateTime


class Vehicle(Base):
    __tablename__ = "fleet_vehicles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plate: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(30))  # ambulance, fire_truck, bus, ...
    agency_code: Mapped[str | None] = mapped_column(ForeignKey("agencies.code"), index=True)
    capabilities: Mapped[list[str]] = mapped_column(JSON, default=list)
    driver: Mapped[str] = mapped_column(String(120), default="")
    speed_limit_kmh: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Device(Base):
    """A tracker: IMEI or app id, the protocol it speaks, the vehicle it sits in."""

    __tablename__ = "fleet_devices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    unique_id: Mapped[str] = mapped_column(String(64), unique=True)
    protocol: Mapped[str] = mapped_column(String(20))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("fleet_vehicles.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class UnknownDevice(Base):
    """A device that reported without being registered, for an admin to register or ignore."""

    __tablename__ = "fleet_unknown_devices"

    unique_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    protocol: Mapped[str] = mapped_column(String(20))
    remote: Mapped[str] = mapped_column(String(120))
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=1)


class DeviceState(Base):
    """Latest known state of a device (restart cache of the in-memory tracker state)."""

    __tablename__ = "fleet_device_states"

    device_id: Mapped[int] = mapped_column(ForeignKey("fleet_devices.id"), primary_key=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    fix_time: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    speed_kmh: Mapped[float | None] = mapped_column(Float)
    course: Mapped[float | None] = mapped_column(Float)
    moving: Mapped[bool] = mapped_column(Boolean, default=False)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Position(Base):
    __tablename__ = "fleet_positions"
    __table_args__ = (
        Index("ix_fleet_positions_vehicle_time", "vehicle_id", "time"),
        Index("ix_fleet_positions_device_time", "device_id", "time"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    device_id: Mapped[int] = mapped_column(Integer)
    vehicle_id: Mapped[int | None] = mapped_column(Integer)
    time: Mapped[datetime] = mapped_column(UtcDateTime, index=True)  # retention purge
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    valid: Mapped[bool] = mapped_column(Boolean)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    speed_kmh: Mapped[float | None] = mapped_column(Float)
    course: Mapped[float | None] = mapped_column(Float)
    altitude: Mapped[float | None] = mapped_column(Float)
    satellites: Mapped[int | None] = mapped_column(Integer)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Geofence(Base):
    """A zone stored as GeoJSON: Polygon, Point with a radius, or LineString with a width."""

    __tablename__ = "fleet_geofences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    geometry: Mapped[dict[str, Any]] = mapped_column(JSON)
    radius_m: Mapped[float | None] = mapped_column(Float)
    half_width_m: Mapped[float | None] = mapped_column(Float)
    agency_code: Mapped[str | None] = mapped_column(ForeignKey("agencies.code"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
