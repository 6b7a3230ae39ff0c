"""Events the fleet domain publishes.

Registry changes and discrete vehicle state changes go through the outbox (stored with the
change or with the positions that caused them). Live positions do not: `PositionsUpdated`
is published straight to the bus after the positions are committed, coalesced per vehicle at
a few Hz, because the positions table already is their durable record.
"""

from __future__ import annotations

from typing import Any

from warroom.core.bus.events import Event


class VehicleEvent(Event):
    """Base of events about one vehicle; `agency_code` scopes them for partners."""

    device_id: int
    unique_id: str
    vehicle_id: int | None
    plate: str | None
    agency_code: str | None


class DeviceRegistered(Event):
    topic = "fleet.device_registered"
    device_id: int
    unique_id: str
    protocol: str
    vehicle_id: int | None


class DeviceUpdated(Event):
    topic = "fleet.device_updated"
    feed = False
    device_id: int
    unique_id: str


class VehicleRegistered(Event):
    topic = "fleet.vehicle_registered"
    vehicle_id: int
    plate: str
    kind: str
    agency_code: str | None


class VehicleUpdated(Event):
    topic = "fleet.vehicle_updated"
    feed = False
    vehicle_id: int
    agency_code: str | None


class GeofencesChanged(Event):
    topic = "fleet.geofences_changed"
    feed = False
    geofence_id: int
    change: str  # created, updated, deleted


class UnknownDeviceSeen(Event):
    """First contact of an unregistered device (once per device until it is registered)."""

    topic = "fleet.unknown_device_seen"
    unique_id: str
    protocol: str
    remote: str


class DeviceCameOnline(VehicleEvent):
    topic = "fleet.device_came_online"
    feed = False  # routine for a fleet of hundreds: the fleet panel shows it, not the event list


class DeviceWentOffline(VehicleEvent):
    topic = "fleet.device_went_offline"
    silent_seconds: float


class TripStarted(VehicleEvent):
    """The vehicle started moving (left its stop by the minimum trip distance)."""

    topic = "fleet.trip_started"
    feed = False  # routine for a fleet of hundreds: the fleet panel shows it, not the event list
    lat: float
    lon: float


class TripEnded(VehicleEvent):
    """The vehicle stopped (stood still for the minimum stop time, or went silent)."""

    topic = "fleet.trip_ended"
    feed = False  # routine for a fleet of hundreds: the fleet panel shows it, not the event list
    lat: float
    lon: float
    distance_m: float
    duration_s: float


class OverspeedDetected(VehicleEvent):
    topic = "fleet.overspeed_detected"
    speed_kmh: float
    limit_kmh: float
    lat: float
    lon: float


class GeofenceEntered(VehicleEvent):
    topic = "fleet.geofence_entered"
    geofence_id: int
    geofence: str


class GeofenceExited(VehicleEvent):
    topic = "fleet.geofence_exited"
    geofence_id: int
    geofence: str


class IgnitionChanged(VehicleEvent):
    topic = "fleet.ignition_changed"
    feed = False  # routine for a fleet of hundreds: the fleet panel shows it, not the event list
    on: bool


class AlarmRaised(VehicleEvent):
    topic = "fleet.alarm_raised"
    alarm: str
    lat: float | None
    lon: float | None


class PositionsUpdated(Event):
    """Latest positions of the vehicles of one agency that moved since the last batch."""

    topic = "fleet.positions_updated"
    feed = False  # too frequent for the event list; map clients get it on /ws/fleet
    agency_code: str | None
    positions: list[dict[str, Any]]
