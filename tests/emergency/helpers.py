"""Small builders shared by the emergency tests."""

from __future__ import annotations

from warroom.core.audit import Actor
from warroom.core.db import Database
from warroom.emergency import opening, units
from warroom.emergency.schemas import IncidentCreate, Location, UnitCreate
from warroom.emergency.taxonomy import Capability

ACTOR = Actor("user:test", "test")
CENTER = (-5.1477, 119.4327)


def make_unit(
    db: Database,
    callsign: str,
    *,
    agency: str = "health",
    caps: tuple[Capability, ...] = (Capability.ALS,),
    at: tuple[float, float] = CENTER,
    vehicle_id: int | None = None,
) -> int:
    with db.write() as session:
        return units.register_unit(
            session,
            actor=ACTOR,
            data=UnitCreate(
                callsign=callsign,
                agency_code=agency,
                capabilities=list(caps),
                vehicle_id=vehicle_id,
                location=Location(lat=at[0], lon=at[1]),
            ),
        ).id


def make_incident(
    db: Database, type_code: str = "medical", at: tuple[float, float] = CENTER
) -> int:
    with db.write() as session:
        return opening.create_incident(
            session,
            actor=ACTOR,
            data=IncidentCreate(type=type_code, location=Location(lat=at[0], lon=at[1])),
        ).id
