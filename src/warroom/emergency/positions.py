"""Unit positions from the fleet's GPS, and arrival on scene detected from them.

The fleet domain publishes ``fleet.positions_updated`` (latest fix per vehicle that moved,
a few times a second). This domain keeps its own copy of each unit's position, written in one
batched Core UPDATE per event, and sets a dispatched or en-route unit on scene when its fix
falls inside the arrival circle around its incident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from warroom.core import audit
from warroom.core.db import padded_in_list
from warroom.emergency.lifecycle import UnitStatus
from warroom.emergency.models import Incident, Unit
from warroom.emergency.units import set_unit_status
from warroom.geo.coords import haversine_m

GPS_ACTOR = audit.Actor("system:gps-arrival", "system")
_MOVING = (UnitStatus.DISPATCHED.value, UnitStatus.EN_ROUTE.value)


@dataclass(frozen=True)
class Fix:
    vehicle_id: int
    lat: float
    lon: float
    at: datetime


def fixes_from_event(positions: list[dict[str, Any]], received: datetime) -> list[Fix]:
    """Fixes with a vehicle and a position; the rest (unassigned devices, no fix) skipped."""
    fixes = []
    for item in positions:
        vehicle, lat, lon = item.get("vehicle_id"), item.get("lat"), item.get("lon")
        if vehicle is None or lat is None or lon is None:
            continue
        at = item.get("time")
        when = datetime.fromisoformat(at) if isinstance(at, str) else received
        fixes.append(Fix(int(vehicle), float(lat), float(lon), when))
    return fixes


def record_fixes(session: Session, *, fixes: list[Fix], arrival_radius_m: float) -> list[int]:
    """Store the units' positions; returns the ids of units found to have arrived."""
    if not fixes:
        return []
    latest = {fix.vehicle_id: fix for fix in sorted(fixes, key=lambda f: f.at)}
    rows = session.execute(
        select(Unit.id, Unit.vehicle_id, Unit.status, Unit.incident_id).where(
            Unit.vehicle_id.in_(padded_in_list(list(latest)))  # one of a few shapes, see there
        )
    ).all()
    if not rows:
        return []
    table = cast(Table, Unit.__table__)  # Core UPDATE: one executemany for the whole batch
    session.execute(
        update(table)
        .where(table.c.id == bindparam("uid"))
        .values(lat=bindparam("new_lat"), lon=bindparam("new_lon"), position_at=bindparam("at")),
        [
            {
                "uid": r.id,
                "new_lat": latest[r.vehicle_id].lat,
                "new_lon": latest[r.vehicle_id].lon,
                "at": latest[r.vehicle_id].at,
            }
            for r in rows
        ],
    )
    arrived = []
    for row in rows:
        if row.status in _MOVING and row.incident_id is not None:
            fix = latest[row.vehicle_id]
            if _inside(session, row.incident_id, fix, arrival_radius_m):
                set_unit_status(
                    session, unit_id=row.id, status=UnitStatus.ON_SCENE, actor=GPS_ACTOR, at=fix.at
                )
                arrived.append(row.id)
    return arrived


def move_unit(
    session: Session,
    *,
    unit_id: int,
    lat: float,
    lon: float,
    at: datetime,
    arrival_radius_m: float,
) -> bool:
    """Position of a unit without a fleet vehicle (crew app, simulation); True on arrival."""
    unit = session.get(Unit, unit_id)
    if unit is None:
        return False
    unit.lat, unit.lon, unit.position_at = lat, lon, at
    if (
        unit.status in _MOVING
        and unit.incident_id is not None
        and _inside(session, unit.incident_id, Fix(0, lat, lon, at), arrival_radius_m)
    ):
        set_unit_status(
            session, unit_id=unit.id, status=UnitStatus.ON_SCENE, actor=GPS_ACTOR, at=at
        )
        return True
    return False


def _inside(session: Session, incident_id: int, fix: Fix, radius_m: float) -> bool:
    spot = session.execute(
        select(Incident.lat, Incident.lon).where(Incident.id == incident_id)
    ).first()
    return spot is not None and float(haversine_m(fix.lat, fix.lon, spot.lat, spot.lon)) <= radius_m
