"""A plausible stream of 112 calls over Makassar, worked end to end through the real services:
calls taken, incidents opened, the nearest unit recommended by road and assigned, units driving
to the scene (arrival set by the geofence check), incidents resolved.

Used by ``warroom demo`` (live, a few simulated seconds per real second) and by the busy-day
replay benchmark (a whole day at 100x). It keeps its own clock, so the KPIs it leaves behind
are those of the simulated day.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import func, select

from warroom.core import audit
from warroom.core.db import Database
from warroom.core.errors import DomainError
from warroom.emergency import dispatch, service, units
from warroom.emergency.lifecycle import IncidentStatus
from warroom.emergency.models import Unit
from warroom.emergency.positions import move_unit
from warroom.emergency.schemas import CallCreate, Location, UnitCreate
from warroom.emergency.taxonomy import INCIDENT_TYPES, CallType, Capability
from warroom.geo.synthetic import MAKASSAR_BBOX, makassar_land

if TYPE_CHECKING:
    from warroom.geo.routing import Router

SIM = audit.Actor("system:simulation", "system")
TYPE_WEIGHTS = {
    "medical": 30,
    "traffic_accident": 20,
    "fire": 8,
    "crime": 12,
    "flood": 4,
    "fallen_tree": 5,
    "building_collapse": 1,
    "drowning": 2,
    "missing_person": 3,
    "public_order": 8,
    "animal": 5,
    "other": 2,
}
# Many 112 calls are not emergencies (Indonesian centres report a majority of prank and
# ghost calls); the demo keeps them a visible minority.
CALL_WEIGHTS = {
    CallType.EMERGENCY: 65,
    CallType.NON_EMERGENCY: 15,
    CallType.PRANK: 10,
    CallType.GHOST: 10,
}
FLEET = (
    ("health", "AMB", (Capability.ALS, Capability.BLS), 14),
    ("fire", "DMK", (Capability.FIRE_ENGINE, Capability.ANIMAL_CONTROL), 8),
    ("fire", "TGA", (Capability.LADDER, Capability.FIRE_ENGINE), 2),
    ("police", "POL", (Capability.POLICE_CAR,), 12),
    ("bpbd", "BPB", (Capability.RESCUE, Capability.TREE_CUTTING, Capability.RESCUE_BOAT), 5),
    ("sar", "SAR", (Capability.RESCUE_BOAT, Capability.DIVER, Capability.RESCUE), 3),
    ("satpolpp", "SPP", (Capability.PUBLIC_ORDER,), 5),
)
TICK_S = 15.0


def random_point(rng: random.Random) -> tuple[float, float]:
    south, west, north, east = MAKASSAR_BBOX
    while True:
        lat, lon = rng.uniform(south, north), rng.uniform(west, east)
        if makassar_land(np.array([lat]), np.array([lon]))[0]:
            return lat, lon


@dataclass
class Trip:
    unit_id: int
    incident_id: int
    start: tuple[float, float]
    end: tuple[float, float]
    depart: datetime
    seconds: float


@dataclass
class Stats:
    calls: int = 0
    incidents: int = 0
    assigned: int = 0
    arrived: int = 0
    resolved: int = 0
    no_unit: int = 0
    errors: list[str] = field(default_factory=list)


class Simulation:
    def __init__(
        self,
        db: Database,
        router: Router,
        *,
        calls_per_hour: float,
        seed: int = 112,
        arrival_radius_m: float = 100.0,
    ) -> None:
        self.db, self.router = db, router
        self.rng = random.Random(seed)  # noqa: S311 - simulation, not security
        self.rate_per_s = calls_per_hour / 3600.0
        self.radius = arrival_radius_m
        self.queue: list[tuple[datetime, int, Callable[[datetime], None]]] = []
        self.trips: dict[int, Trip] = {}
        self.stats = Stats()
        self._order = itertools.count()

    def seed_units(self, now: datetime) -> int:
        """Register the demo fleet once (spread over the city); returns units created."""
        with self.db.write() as session:
            if session.scalar(select(func.count(Unit.id))):
                return 0
            made = 0
            for agency, prefix, caps, count in FLEET:
                for n in range(1, count + 1):
                    lat, lon = random_point(self.rng)
                    units.register_unit(
                        session,
                        actor=SIM,
                        data=UnitCreate(
                            callsign=f"{prefix}-{n:02d}",
                            agency_code=agency,
                            capabilities=list(caps),
                            location=Location(lat=lat, lon=lon),
                        ),
                    )
                    made += 1
            return made

    def start(self, now: datetime) -> None:
        self._schedule(now + timedelta(seconds=self._gap()), self._call)
        self._schedule(now + timedelta(seconds=TICK_S), self._tick)

    def run_until(self, now: datetime) -> None:
        while self.queue and self.queue[0][0] <= now:
            at, _, action = heapq.heappop(self.queue)
            try:
                action(at)
            except DomainError as exc:  # a lost race with a human dispatcher, say
                self.stats.errors.append(exc.message)

    def _schedule(self, at: datetime, action: Callable[[datetime], None]) -> None:
        heapq.heappush(self.queue, (at, next(self._order), action))

    def _gap(self) -> float:
        return self.rng.expovariate(self.rate_per_s) if self.rate_per_s > 0 else math.inf

    def _call(self, now: datetime) -> None:
        self._schedule(now + timedelta(seconds=self._gap()), self._call)
        kind = self.rng.choices(list(CALL_WEIGHTS), weights=list(CALL_WEIGHTS.values()))[0]
        type_code = self.rng.choices(list(TYPE_WEIGHTS), weights=list(TYPE_WEIGHTS.values()))[0]
        lat, lon = random_point(self.rng)
        ring = min(60.0, self.rng.expovariate(1 / 6.0))
        data = CallCreate(
            caller_number=f"+62811{self.rng.randrange(10**6, 10**7)}",
            call_type=kind,
            received_at=now - timedelta(seconds=ring),
            answered_at=now,
            incident_type=type_code if kind is CallType.EMERGENCY else None,
            location=Location(lat=lat, lon=lon),
            notes="simulated call",
        )
        with self.db.write() as session:
            call = service.take_call(session, data=data, actor=SIM, at=now)
            incident_id = call.incident_id
        self.stats.calls += 1
        if incident_id is not None:
            self.stats.incidents += 1
            delay = self.rng.uniform(30, 150) * (
                1 if INCIDENT_TYPES[type_code].priority > 1 else 0.5
            )
            self._schedule(
                now + timedelta(seconds=delay), partial(self._dispatch, incident_id=incident_id)
            )

    def _dispatch(self, now: datetime, incident_id: int) -> None:
        with self.db.write() as session:
            best = dispatch.recommend(session, incident_id=incident_id, router=self.router, limit=1)
            if not best:
                self.stats.no_unit += 1
                self._schedule(
                    now + timedelta(seconds=60), partial(self._dispatch, incident_id=incident_id)
                )
                return
            pick = best[0]
            units.assign_units(
                session,
                incident_id=incident_id,
                unit_ids=[pick.unit_id],
                actor=SIM,
                etas={pick.unit_id: pick.eta_s},
                at=now,
            )
            incident = service.get_incident(session, incident_id=incident_id)
            end = (incident.lat, incident.lon)
        self.stats.assigned += 1
        roll = now + timedelta(seconds=self.rng.uniform(10, 40))
        self.trips[pick.unit_id] = Trip(
            pick.unit_id, incident_id, (pick.lat, pick.lon), end, roll, max(pick.eta_s, 1.0)
        )
        self._schedule(roll, partial(self._acknowledge, unit_id=pick.unit_id))

    def _acknowledge(self, now: datetime, unit_id: int) -> None:
        with self.db.write() as session:
            units.acknowledge(session, unit_id=unit_id, actor=SIM, at=now)

    def _tick(self, now: datetime) -> None:
        """Move every travelling unit along its straight line, timed to its road ETA."""
        self._schedule(now + timedelta(seconds=TICK_S), self._tick)
        with self.db.write() as session:
            for trip in list(self.trips.values()):
                share = min(1.0, max(0.0, (now - trip.depart).total_seconds() / trip.seconds))
                lat = trip.start[0] + (trip.end[0] - trip.start[0]) * share
                lon = trip.start[1] + (trip.end[1] - trip.start[1]) * share
                if move_unit(
                    session,
                    unit_id=trip.unit_id,
                    lat=lat,
                    lon=lon,
                    at=now,
                    arrival_radius_m=self.radius,
                ):
                    del self.trips[trip.unit_id]
                    self.stats.arrived += 1
                    work = timedelta(minutes=self.rng.uniform(8, 30))
                    incident_id = trip.incident_id
                    self._schedule(now + work, partial(self._resolve, incident_id=incident_id))

    def _resolve(self, now: datetime, incident_id: int) -> None:
        with self.db.write() as session:
            incident = service.get_incident(session, incident_id=incident_id)
            if incident.status != IncidentStatus.ON_SCENE.value:
                return
            service.set_status(
                session,
                incident_id=incident_id,
                status=IncidentStatus.RESOLVED,
                actor=SIM,
                note="simulated",
                at=now,
            )
        self.stats.resolved += 1
