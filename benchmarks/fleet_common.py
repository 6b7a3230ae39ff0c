"""What the fleet benchmarks share: the simulated trackers' identities, their fixes and their
registration (the same vehicles and devices every benchmark ingests for)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from warroom.core.audit import Actor
from warroom.fleet import service
from warroom.fleet.encoders import SimFix
from warroom.fleet.schemas import DeviceCreate, VehicleCreate

ACTOR = Actor("bench", "bench")
START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)


def imei(n: int) -> str:
    return f"86{n:013d}"


def fix(device: int, n: int, *, ignition: bool | None = None) -> SimFix:
    """Fix `n` of `device`: one a second, moving north in small steps."""
    return SimFix(
        START + timedelta(seconds=n),
        -5.15 + (n % 500) * 1e-4 + device * 1e-5,
        119.43,
        20.0 + n % 40,
        float(n % 360),
        ignition=ignition,
    )


def register_trackers(session: Session, devices: int, *, protocol: str, tag: str) -> None:
    """`devices` buses, each with a tracker whose unique id is `imei(n)`."""
    for n in range(devices):
        vehicle = service.create_vehicle(
            session, data=VehicleCreate(plate=f"DD {n:05d} {tag}", kind="bus"), actor=ACTOR
        )
        service.create_device(
            session,
            data=DeviceCreate(unique_id=imei(n), protocol=protocol, vehicle_id=vehicle.id),
            actor=ACTOR,
        )
