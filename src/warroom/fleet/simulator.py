"""Simulated vehicles driving the road network and reporting through the real protocols.

Each vehicle parks for a while, drives a route from `geo.routing.Router` to a random place,
and reports every `interval` seconds over loopback with its own protocol (a mix of OsmAnd,
GT06, Teltonika and H02), waiting for the acknowledgement like a real device. A refused or
lost connection is retried after a pause, so the simulator survives a server restart.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
import logging
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from warroom.core.audit import SYSTEM
from warroom.core.clock import utcnow
from warroom.core.db import Database
from warroom.fleet import service
from warroom.fleet.encoders import (
    SimFix,
    gt06_login,
    gt06_position,
    h02_position,
    osmand_query,
    teltonika_avl,
    teltonika_login,
)
from warroom.fleet.models import Device
from warroom.fleet.motion import distance_m
from warroom.fleet.schemas import DeviceCreate, VehicleCreate
from warroom.geo.routing import Router

log = logging.getLogger("warroom.fleet.simulator")
PROTOCOL_MIX = ("osmand", "gt06", "teltonika", "h02")
KIND_MIX = (
    "garbage_truck", "bus", "patrol_car", "ambulance", "official_car", "garbage_truck",
    "bus", "fire_truck",
)  # fmt: skip
RETRY_SECONDS = 3.0
Endpoints = dict[str, tuple[str, int]]


@dataclass
class Route:
    points: list[tuple[float, float]]  # (lat, lon)
    cumulative_m: list[float]

    @classmethod
    def through(cls, points: list[tuple[float, float]]) -> Route:
        cumulative = [0.0]
        for (a, b), (c, d) in itertools.pairwise(points):
            cumulative.append(cumulative[-1] + distance_m(a, b, c, d))
        return cls(points, cumulative)

    @property
    def length_m(self) -> float:
        return self.cumulative_m[-1]

    def at(self, offset_m: float) -> tuple[float, float, float]:
        """(lat, lon, course) `offset_m` along the route."""
        i = min(bisect.bisect_right(self.cumulative_m, offset_m), len(self.points) - 1)
        (lat1, lon1), (lat2, lon2) = self.points[max(i - 1, 0)], self.points[i]
        span = self.cumulative_m[i] - self.cumulative_m[max(i - 1, 0)]
        share = (offset_m - self.cumulative_m[max(i - 1, 0)]) / span if span > 0 else 1.0
        share = min(max(share, 0.0), 1.0)
        course = _bearing(lat1, lon1, lat2, lon2)
        return lat1 + (lat2 - lat1) * share, lon1 + (lon2 - lon1) * share, course


def _bearing(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    y = math.sin(math.radians(lon2 - lon1)) * math.cos(math.radians(lat2))
    x = math.cos(math.radians(lat1)) * math.sin(math.radians(lat2)) - math.sin(
        math.radians(lat1)
    ) * math.cos(math.radians(lat2)) * math.cos(math.radians(lon2 - lon1))
    return (math.degrees(math.atan2(y, x)) + 360) % 360


@dataclass
class SimVehicle:
    index: int
    protocol: str
    kind: str
    position: tuple[float, float]
    speed_kmh: float
    route: Route | None = None
    offset_m: float = 0.0
    parked_s: float = 0.0
    course: float = 0.0
    serial: int = 1
    rng: random.Random = field(default_factory=random.Random)

    @property
    def unique_id(self) -> str:
        return f"sim-{self.index:05d}" if self.protocol == "osmand" else f"86990{self.index:010d}"

    @property
    def plate(self) -> str:
        return f"DD {self.index + 1} SIM"

    def advance(self, seconds: float, plan: Callable[[SimVehicle], Route | None]) -> float:
        """Move on; returns the current speed (0 while parked)."""
        if self.route is None:
            self.parked_s -= seconds
            if self.parked_s > 0:
                return 0.0
            self.route, self.offset_m = plan(self), 0.0
            if self.route is None:
                self.parked_s = 60.0
                return 0.0
        speed = self.speed_kmh * self.rng.uniform(0.7, 1.15)
        self.offset_m += speed / 3.6 * seconds
        lat, lon, self.course = self.route.at(self.offset_m)
        self.position = (lat, lon)
        if self.offset_m >= self.route.length_m:
            self.route, self.parked_s = None, self.rng.uniform(120, 600)
        return speed

    def fix(self, moment: datetime, speed: float) -> SimFix:
        return SimFix(
            moment, self.position[0], self.position[1], speed, self.course, True, speed > 0
        )


def make_vehicles(router: Router, count: int, seed: int = 11) -> list[SimVehicle]:
    rng = random.Random(seed)  # noqa: S311 - a simulation, not a secret
    nodes = router.graph.node_lat.size
    vehicles = []
    for i in range(count):
        node = rng.randrange(nodes)
        position = (float(router.graph.node_lat[node]), float(router.graph.node_lon[node]))
        vehicles.append(
            SimVehicle(
                i, PROTOCOL_MIX[i % len(PROTOCOL_MIX)], KIND_MIX[i % len(KIND_MIX)], position,
                rng.uniform(25, 50), parked_s=rng.uniform(0, 120), rng=random.Random(seed + i),  # noqa: S311
            )
        )  # fmt: skip
    return vehicles


def ensure_registered(db: Database, vehicles: list[SimVehicle]) -> int:
    """Register the simulated vehicles and devices that are not yet; returns how many."""
    with db.write() as session:
        known = set(session.scalars(select(Device.unique_id)))
        added = 0
        for sim in vehicles:
            if sim.unique_id in known:
                continue
            vehicle = service.create_vehicle(
                session,
                data=VehicleCreate(plate=sim.plate, name=f"Simulated {sim.kind}", kind=sim.kind),
                actor=SYSTEM,
            )
            service.create_device(
                session,
                data=DeviceCreate(
                    unique_id=sim.unique_id, protocol=sim.protocol, vehicle_id=vehicle.id
                ),
                actor=SYSTEM,
            )
            added += 1
    return added


class Simulator:
    def __init__(
        self, router: Router, vehicles: list[SimVehicle], endpoints: Endpoints, interval: float
    ) -> None:
        self.router, self.vehicles = router, vehicles
        self.endpoints, self.interval = endpoints, interval
        self.sent = 0

    def plan(self, vehicle: SimVehicle) -> Route | None:
        graph = self.router.graph
        node = vehicle.rng.randrange(graph.node_lat.size)
        target = (float(graph.node_lat[node]), float(graph.node_lon[node]))
        try:
            route = self.router.route(vehicle.position, target)
        except Exception:  # unreachable or unsnappable: park and try elsewhere later
            return None
        return Route.through([(lat, lon) for lon, lat in route.coordinates])

    async def run(self) -> None:
        await asyncio.gather(
            *(self._drive(v) for v in self.vehicles if v.protocol in self.endpoints)
        )

    async def _drive(self, vehicle: SimVehicle) -> None:
        await asyncio.sleep(vehicle.rng.uniform(0, self.interval))
        while True:
            try:
                await self._session(vehicle)
            except (OSError, asyncio.IncompleteReadError) as exc:
                log.debug("simulated device reconnects: %s", exc)
            await asyncio.sleep(RETRY_SECONDS)

    async def _session(self, vehicle: SimVehicle) -> None:
        host, port = self.endpoints[vehicle.protocol]
        reader, writer = await asyncio.open_connection(host, port)
        try:
            await _login(vehicle, reader, writer)
            while True:
                speed = await asyncio.to_thread(vehicle.advance, self.interval, self.plan)
                await _report(vehicle, vehicle.fix(utcnow(), speed), reader, writer)
                self.sent += 1
                await asyncio.sleep(self.interval)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


async def _login(
    vehicle: SimVehicle, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    if vehicle.protocol == "gt06":
        writer.write(gt06_login(vehicle.unique_id, 1))
        await reader.readexactly(10)
    elif vehicle.protocol == "teltonika":
        writer.write(teltonika_login(vehicle.unique_id))
        if await reader.readexactly(1) != b"\x01":
            raise ConnectionRefusedError("Teltonika login refused")


async def _report(
    vehicle: SimVehicle, fix: SimFix, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    if vehicle.protocol == "gt06":
        vehicle.serial = vehicle.serial % 65535 + 1
        writer.write(gt06_position(fix, vehicle.serial))
        await reader.readexactly(10)
    elif vehicle.protocol == "teltonika":
        writer.write(teltonika_avl([fix]))
        await reader.readexactly(4)
    elif vehicle.protocol == "h02":
        writer.write(h02_position(vehicle.unique_id, fix))
        await writer.drain()
    else:
        target = osmand_query(vehicle.unique_id, fix)
        writer.write(f"GET {target} HTTP/1.1\r\nHost: warroom\r\n\r\n".encode())
        await _read_http_response(reader)


async def _read_http_response(reader: asyncio.StreamReader) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    if status != 200:
        raise ConnectionRefusedError(f"OsmAnd server answered {status}")
