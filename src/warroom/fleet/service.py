"""Fleet registry operations: vehicles, devices, unknown devices and geofences.

Keyword-only functions on the caller's Session; they audit, enqueue events, and never commit.
`agency` is the caller's agency scope: partners only see and touch their own agency's data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from warroom.core import audit, outbox
from warroom.core.audit import Actor
from warroom.core.errors import ConflictError, InvalidInputError, NotFoundError
from warroom.fleet import events
from warroom.fleet.fences import active_geofences, check_fence
from warroom.fleet.models import Device, DeviceState, Geofence, Position, UnknownDevice, Vehicle
from warroom.fleet.schemas import (
    DeviceCreate,
    DeviceUpdate,
    GeofenceCreate,
    LiveVehicle,
    PositionRead,
    VehicleCreate,
    VehicleUpdate,
)
from warroom.geo.errors import GeoInputError
from warroom.geo.geofence import fence_from_geojson

Row = TypeVar("Row", Vehicle, Device, Geofence)
MAX_HISTORY_ROWS = 50_000


def _get(session: Session, model: type[Row], key: int, agency: str | None) -> Row:
    row = session.get(model, key)
    if row is None or not _visible(session, row, agency):
        raise NotFoundError(f"{model.__name__.lower()} {key} not found")
    return row


def _visible(session: Session, row: Vehicle | Device | Geofence, agency: str | None) -> bool:
    if agency is None:
        return True
    if isinstance(row, Device):
        vehicle = session.get(Vehicle, row.vehicle_id) if row.vehicle_id else None
        return vehicle is not None and vehicle.agency_code == agency
    return row.agency_code == agency


def _flush_unique(session: Session, what: str) -> None:
    try:
        session.flush()
    except IntegrityError:
        raise ConflictError(f"{what} already exists or refers to an unknown agency") from None


def list_vehicles(session: Session, *, agency: str | None) -> list[Vehicle]:
    query = select(Vehicle).order_by(Vehicle.plate)
    if agency is not None:
        query = query.where(Vehicle.agency_code == agency)
    return list(session.scalars(query))


def get_vehicle(session: Session, *, vehicle_id: int, agency: str | None) -> Vehicle:
    return _get(session, Vehicle, vehicle_id, agency)


def create_vehicle(session: Session, *, data: VehicleCreate, actor: Actor) -> Vehicle:
    vehicle = Vehicle(**data.model_dump())
    session.add(vehicle)
    _flush_unique(session, f"vehicle {data.plate}")
    audit.record(
        session,
        actor=actor,
        action="fleet.vehicle_created",
        target_type="vehicle",
        target_id=vehicle.id,
        detail=data.model_dump(),
    )
    outbox.enqueue(
        session,
        events.VehicleRegistered(
            vehicle_id=vehicle.id,
            plate=vehicle.plate,
            kind=vehicle.kind,
            agency_code=vehicle.agency_code,
        ),
    )
    return vehicle


def update_vehicle(
    session: Session, *, vehicle_id: int, data: VehicleUpdate, actor: Actor
) -> Vehicle:
    vehicle = _get(session, Vehicle, vehicle_id, None)
    changes = data.model_dump(exclude_unset=True)
    for name, value in changes.items():
        setattr(vehicle, name, value)
    _flush_unique(session, f"vehicle {vehicle.plate}")
    audit.record(
        session,
        actor=actor,
        action="fleet.vehicle_updated",
        target_type="vehicle",
        target_id=vehicle.id,
        detail=changes,
    )
    outbox.enqueue(
        session, events.VehicleUpdated(vehicle_id=vehicle.id, agency_code=vehicle.agency_code)
    )
    return vehicle


def list_devices(session: Session, *, agency: str | None) -> list[Device]:
    query = select(Device).order_by(Device.unique_id)
    if agency is not None:
        query = query.join(Vehicle, Vehicle.id == Device.vehicle_id).where(
            Vehicle.agency_code == agency
        )
    return list(session.scalars(query))


def _check_vehicle(session: Session, vehicle_id: int | None) -> None:
    if vehicle_id is not None and session.get(Vehicle, vehicle_id) is None:
        raise InvalidInputError(f"vehicle {vehicle_id} does not exist")


def create_device(session: Session, *, data: DeviceCreate, actor: Actor) -> Device:
    """Register a device; it leaves the unknown-device list."""
    _check_vehicle(session, data.vehicle_id)
    device = Device(**data.model_dump())
    session.add(device)
    _flush_unique(session, f"device {data.unique_id}")
    session.execute(delete(UnknownDevice).where(UnknownDevice.unique_id == data.unique_id))
    audit.record(
        session,
        actor=actor,
        action="fleet.device_registered",
        target_type="device",
        target_id=device.id,
        detail=data.model_dump(),
    )
    outbox.enqueue(
        session,
        events.DeviceRegistered(
            device_id=device.id,
            unique_id=device.unique_id,
            protocol=device.protocol,
            vehicle_id=device.vehicle_id,
        ),
    )
    return device


def update_device(session: Session, *, device_id: int, data: DeviceUpdate, actor: Actor) -> Device:
    device = _get(session, Device, device_id, None)
    changes = data.model_dump(exclude_unset=True)
    _check_vehicle(session, changes.get("vehicle_id"))
    for name, value in changes.items():
        setattr(device, name, value)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="fleet.device_updated",
        target_type="device",
        target_id=device.id,
        detail=changes,
    )
    outbox.enqueue(session, events.DeviceUpdated(device_id=device.id, unique_id=device.unique_id))
    return device


def list_unknown_devices(session: Session) -> list[UnknownDevice]:
    return list(session.scalars(select(UnknownDevice).order_by(UnknownDevice.last_seen_at.desc())))


def dismiss_unknown_device(session: Session, *, unique_id: str, actor: Actor) -> None:
    removed = session.execute(delete(UnknownDevice).where(UnknownDevice.unique_id == unique_id))
    if not removed.rowcount:  # type: ignore[attr-defined]
        raise NotFoundError(f"unknown device {unique_id} not listed")
    audit.record(
        session,
        actor=actor,
        action="fleet.unknown_device_dismissed",
        target_type="device",
        target_id=unique_id,
    )


def list_geofences(session: Session, *, agency: str | None) -> list[Geofence]:
    return list(session.scalars(active_geofences(agency).order_by(Geofence.name)))


def _check_geometry(data: GeofenceCreate) -> None:
    """Build the fence as the pipeline will: the schema checked the GeoJSON, this finds what
    only geometry can (rings that cross themselves or each other, holes outside)."""
    geometry = data.geometry.model_dump()
    fence = fence_from_geojson(
        data.name, geometry, radius_m=data.radius_m, half_width_m=data.half_width_m
    )
    try:
        check_fence(fence)
    except (GeoInputError, ValueError) as exc:
        raise InvalidInputError(f"geofence geometry: {exc}") from None


def create_geofence(session: Session, *, data: GeofenceCreate, actor: Actor) -> Geofence:
    _check_geometry(data)
    geofence = Geofence(**data.model_dump())
    session.add(geofence)
    _flush_unique(session, f"geofence {data.name}")
    audit.record(
        session,
        actor=actor,
        action="fleet.geofence_created",
        target_type="geofence",
        target_id=geofence.id,
        detail={"name": data.name, "type": data.geometry.type},
    )
    outbox.enqueue(session, events.GeofencesChanged(geofence_id=geofence.id, change="created"))
    return geofence


def delete_geofence(session: Session, *, geofence_id: int, actor: Actor) -> None:
    geofence = _get(session, Geofence, geofence_id, None)
    if not geofence.active:  # deleted before: not listed, so not there for the caller
        raise NotFoundError(f"geofence {geofence_id} not found")
    geofence.active = False
    audit.record(
        session,
        actor=actor,
        action="fleet.geofence_deleted",
        target_type="geofence",
        target_id=geofence.id,
        detail={"name": geofence.name},
    )
    outbox.enqueue(session, events.GeofencesChanged(geofence_id=geofence.id, change="deleted"))


def live_vehicles(session: Session, *, agency: str | None) -> list[LiveVehicle]:
    """Every active device with its vehicle and latest stored state."""
    query = (
        select(Device, Vehicle, DeviceState)
        .outerjoin(Vehicle, Vehicle.id == Device.vehicle_id)
        .outerjoin(DeviceState, DeviceState.device_id == Device.id)
        .where(Device.active.is_(True))
        .order_by(Device.id)
    )
    if agency is not None:
        query = query.where(Vehicle.agency_code == agency)
    return [_live_row(device, vehicle, state) for device, vehicle, state in session.execute(query)]


def _live_row(device: Device, vehicle: Vehicle | None, state: DeviceState | None) -> LiveVehicle:
    values: dict[str, Any] = {
        "vehicle_id": device.vehicle_id,
        "device_id": device.id,
        "unique_id": device.unique_id,
        "plate": vehicle.plate if vehicle else None,
        "name": vehicle.name if vehicle else None,
        "kind": vehicle.kind if vehicle else None,
        "agency_code": vehicle.agency_code if vehicle else None,
    }
    fields = ("online", "moving", "last_seen_at", "fix_time", "lat", "lon", "speed_kmh", "course")
    for name in fields:
        values[name] = getattr(state, name) if state else None
    values["online"], values["moving"] = bool(values["online"]), bool(values["moving"])
    return LiveVehicle(**values)


@dataclass(frozen=True)
class History:
    positions: list[PositionRead]
    truncated: bool  # more positions lie in the period than the track holds


def vehicle_history(
    session: Session,
    *,
    vehicle_id: int,
    start: datetime,
    end: datetime,
    agency: str | None,
    limit: int | None = None,
) -> History:
    """Stored positions of a vehicle in time order (replay): the first `limit` (at most
    MAX_HISTORY_ROWS) of the period, and whether there were more, so a cut track is never
    taken for the whole one."""
    limit = MAX_HISTORY_ROWS if limit is None else min(limit, MAX_HISTORY_ROWS)
    _get(session, Vehicle, vehicle_id, agency)
    if end <= start:
        raise InvalidInputError("the period must end after it starts")
    rows = session.execute(
        select(
            Position.time,
            Position.lat,
            Position.lon,
            Position.speed_kmh,
            Position.course,
            Position.valid,
        )
        .where(Position.vehicle_id == vehicle_id, Position.time >= start, Position.time < end)
        .order_by(Position.time, Position.id)
        .limit(limit + 1)
    )
    positions = [PositionRead.model_validate(row._mapping) for row in rows]
    return History(positions[:limit], len(positions) > limit)
