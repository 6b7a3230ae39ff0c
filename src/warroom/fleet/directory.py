"""In-memory directory of registered devices, read by listeners on every message.

Loaded from the database at start and reloaded when the registry changes (events) or every
`RELOAD_SECONDS` (changes made by other processes). A reload swaps the whole mapping, so
readers in other threads never see a half-built one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from warroom.core.db import Database
from warroom.fleet.models import Device, Vehicle

RELOAD_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    id: int
    unique_id: str
    protocol: str
    vehicle_id: int | None
    plate: str | None
    kind: str | None
    agency_code: str | None
    speed_limit_kmh: float | None


class DeviceDirectory:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._by_unique_id: dict[str, DeviceInfo] = {}

    def __len__(self) -> int:
        return len(self._by_unique_id)

    def get(self, unique_id: str) -> DeviceInfo | None:
        return self._by_unique_id.get(unique_id)

    def all(self) -> list[DeviceInfo]:
        return list(self._by_unique_id.values())

    def load(self) -> None:
        """Blocking database read; call it from a worker thread in async code."""
        query = (
            select(Device, Vehicle)
            .outerjoin(Vehicle, Vehicle.id == Device.vehicle_id)
            .where(Device.active.is_(True))
        )
        with self._db.read() as session:
            self._by_unique_id = {
                device.unique_id: _info(device, vehicle)
                for device, vehicle in session.execute(query)
            }


def _info(device: Device, vehicle: Vehicle | None) -> DeviceInfo:
    return DeviceInfo(
        id=device.id,
        unique_id=device.unique_id,
        protocol=device.protocol,
        vehicle_id=device.vehicle_id,
        plate=vehicle.plate if vehicle else None,
        kind=vehicle.kind if vehicle else None,
        agency_code=vehicle.agency_code if vehicle else None,
        speed_limit_kmh=vehicle.speed_limit_kmh if vehicle else None,
    )
