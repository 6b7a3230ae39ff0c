"""Live state of every device and the events its fixes cause.

Runs in the writer's tracker thread only (one thread owns all state, no locks): the
group-commit writer hands it each batch before the commit, stores the rows and the events it
returns in that same transaction, and publishes the live positions after the commit. A fix
older than the latest one is stored but changes nothing live: buffered data never moves a
vehicle backwards.
Geofences are tested in `finish`, once for all the fixes of a batch, and applied in order;
so within a batch a fix's geofence events follow its other events.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from warroom.core.bus.events import Event
from warroom.fleet import events
from warroom.fleet.config import FleetConfig
from warroom.fleet.directory import DeviceInfo
from warroom.fleet.fences import FenceSet
from warroom.fleet.filters import PositionFilter, RecentTimes
from warroom.fleet.motion import Fix, MotionSettings, TripDetector, distance_m
from warroom.fleet.protocols import AlarmRecord, PositionRecord, Record
from warroom.fleet.store import PositionRow

JUMPS_BEFORE_ACCEPT = 3  # after this many "impossible" jumps in a row the device really moved


@dataclass(slots=True)  # one per device, kept for the server's life: no __dict__ each
class DeviceLive:
    info: DeviceInfo
    detector: TripDetector
    latest: PositionRecord | None = None
    last_seen: datetime | None = None
    online: bool = False
    recent: RecentTimes = field(default_factory=RecentTimes)
    fences: frozenset[int] = frozenset()
    overspeed: bool = False
    ignition: bool | None = None
    jumps: int = 0


@dataclass
class Outcome:
    """What one batch produced: rows to insert, events to store, devices whose live state
    changed (turned into `live` payloads once the batch is committed)."""

    def seal(self) -> None:
        """End of a batch: the map payloads of the changed devices as of this batch (built
        once per device and batch, not per fix), published once the batch is committed."""
        self.live = {device: live_payload(state) for device, state in self.changed.items()}

    rows: list[PositionRow] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    changed: dict[int, DeviceLive] = field(default_factory=dict)
    live: dict[int, dict[str, Any]] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    # Fixes whose geofences `Tracker.finish` tests together: (device, fix, its first fix?).
    fence_checks: list[tuple[DeviceLive, PositionRecord, bool]] = field(default_factory=list)


class Tracker:
    def __init__(self, config: FleetConfig) -> None:
        self._filter = PositionFilter(config)
        self._motion = MotionSettings(
            config.moving_speed_kmh,
            config.trip_min_distance_m,
            config.trip_min_stop_seconds,
            config.trip_stop_gap_seconds,
        )
        self._offline_after = timedelta(seconds=config.offline_after_seconds)
        self._overspeed_kmh = config.overspeed_kmh
        self.fences = FenceSet()
        self.devices: dict[int, DeviceLive] = {}
        self.dirty: set[int] = set()

    def state(self, info: DeviceInfo) -> DeviceLive:
        live = self.devices.get(info.id)
        if live is None:
            live = self.devices[info.id] = DeviceLive(info, TripDetector(self._motion))
        live.info = info  # the registry may have changed (vehicle, limit, agency)
        return live

    def accept(
        self, info: DeviceInfo, records: Iterable[Record], received_at: datetime, out: Outcome
    ) -> None:
        live = self.state(info)
        live.last_seen = received_at
        self.dirty.add(info.id)
        if not live.online:
            live.online = True
            out.events.append(events.DeviceCameOnline(**_about(info)))
        for record in records:
            if isinstance(record, AlarmRecord):
                self._alarm(live, record, received_at, out)
            elif isinstance(record, PositionRecord):
                self._position(live, record, received_at, out)

    def _alarm(
        self, live: DeviceLive, record: AlarmRecord, received_at: datetime, out: Outcome
    ) -> None:
        """An SOS resent with its fix (the device got no ack) was raised already: only a
        first sending raises it. An alarm without a fix cannot be told apart, so it is."""
        fix = record.position
        if fix is None:
            out.events.append(
                events.AlarmRaised(**_about(live.info), alarm=record.alarm, lat=None, lon=None)
            )
            return
        if not self._filter.is_resend(fix, live.recent):
            out.events.append(
                events.AlarmRaised(
                    **_about(live.info), alarm=record.alarm, lat=fix.lat, lon=fix.lon
                )
            )
        self._position(live, fix, received_at, out)

    def _position(
        self, live: DeviceLive, fix: PositionRecord, received_at: datetime, out: Outcome
    ) -> None:
        latest = live.latest
        # The step from the latest fix serves the jump filter and trip detection alike.
        newer = latest is None or fix.time > latest.time
        step = None
        if newer and latest is not None:
            step = distance_m(latest.lat, latest.lon, fix.lat, fix.lon)
        reason = self._filter.reject_reason(
            fix, latest=latest, recent=live.recent, now=received_at, step_m=step
        )
        if reason is not None and (reason != "jump" or not _believed(live)):
            out.dropped[reason] = out.dropped.get(reason, 0) + 1
            return
        live.jumps = 0
        live.recent.add(fix.time)
        out.rows.append(_row(live.info, fix, received_at))
        if newer:
            self._advance(live, fix, out, step)

    def _advance(
        self, live: DeviceLive, fix: PositionRecord, out: Outcome, step: float | None
    ) -> None:
        first = live.latest is None
        live.latest = fix
        info = live.info
        started, ended = live.detector.feed(fix, step)
        if started is not None:
            out.events.append(events.TripStarted(**_about(info), lat=started.lat, lon=started.lon))
        if ended is not None:
            out.events.append(
                events.TripEnded(
                    **_about(info),
                    lat=ended.end.lat,
                    lon=ended.end.lon,
                    distance_m=round(ended.distance_m, 1),
                    duration_s=ended.duration_s,
                )
            )
        self._check_speed(live, fix, out)
        if "ignition" in fix.attributes:
            self._check_ignition(live, fix, out)
        if self.fences.index is not None or live.fences:  # else nothing can change
            out.fence_checks.append((live, fix, first))
        out.changed[info.id] = live

    def _check_speed(self, live: DeviceLive, fix: PositionRecord, out: Outcome) -> None:
        limit = live.info.speed_limit_kmh or self._overspeed_kmh
        over = fix.speed_kmh is not None and fix.speed_kmh > limit
        if over and not live.overspeed:
            out.events.append(
                events.OverspeedDetected(
                    **_about(live.info),
                    speed_kmh=round(fix.speed_kmh or 0.0, 1),
                    limit_kmh=limit,
                    lat=fix.lat,
                    lon=fix.lon,
                )
            )
        live.overspeed = over

    @staticmethod
    def _check_ignition(live: DeviceLive, fix: PositionRecord, out: Outcome) -> None:
        ignition = fix.attributes.get("ignition")
        if not isinstance(ignition, bool):
            return
        if live.ignition is not None and ignition != live.ignition:
            out.events.append(events.IgnitionChanged(**_about(live.info), on=ignition))
        live.ignition = ignition

    def finish(self, out: Outcome) -> None:
        """End of a batch: test the geofences of all its fixes in one index query, then
        apply them in order (each device's fixes are queued in time order)."""
        checks, out.fence_checks = out.fence_checks, []
        if not checks:
            return
        each = self.fences.inside_each([c[1].lat for c in checks], [c[1].lon for c in checks])
        for (live, _, first), inside in zip(checks, each, strict=True):
            self._fence_transition(live, inside, out, first=first)

    def _fence_transition(
        self, live: DeviceLive, inside: frozenset[int], out: Outcome, *, first: bool
    ) -> None:
        if inside == live.fences:
            return
        names = self.fences.names
        if not first:
            for fence in sorted(inside - live.fences):
                out.events.append(
                    events.GeofenceEntered(
                        **_about(live.info), geofence_id=fence, geofence=names.get(fence, "")
                    )
                )
            for fence in sorted(live.fences - inside):
                out.events.append(
                    events.GeofenceExited(
                        **_about(live.info), geofence_id=fence, geofence=names.get(fence, "")
                    )
                )
        live.fences = inside

    def forget(self, rows: list[PositionRow]) -> None:
        """A commit failed: these fixes were not stored, so a resend must not be a duplicate."""
        for row in rows:
            live = self.devices.get(row[0])
            if live is not None:
                live.recent.forget(row[2])

    def remember_stored(
        self, devices: dict[int, DeviceInfo], fixes: Iterable[tuple[int, datetime]]
    ) -> None:
        """After a restart: the fix times stored last (oldest first), so that a device
        resending what was committed but never acknowledged before a crash is not stored
        twice. `devices`: the registered devices by id (others' fixes are skipped)."""
        for device_id, time in fixes:
            info = devices.get(device_id)
            if info is not None:
                self.state(info).recent.add(time)

    def offline_scan(self, now: datetime, out: Outcome) -> None:
        silent_before = now - self._offline_after
        for live in self.devices.values():
            if live.online and live.last_seen is not None and live.last_seen < silent_before:
                live.online = False
                self.dirty.add(live.info.id)
                silent = (now - live.last_seen).total_seconds()
                out.events.append(
                    events.DeviceWentOffline(**_about(live.info), silent_seconds=round(silent))
                )
                out.changed[live.info.id] = live

    def take_dirty_states(self) -> list[dict[str, Any]]:
        rows = [state_row(self.devices[device_id]) for device_id in self.dirty]
        self.dirty = set()
        return rows

    def restore(self, info: DeviceInfo, row: dict[str, Any]) -> None:
        """Reload a device's last saved state after a restart."""
        live = self.state(info)
        live.last_seen, live.online = row["last_seen_at"], bool(row["online"])
        detail = row["detail"] or {}
        live.fences = frozenset(detail.get("fences", ()))
        live.ignition, live.overspeed = detail.get("ignition"), bool(detail.get("overspeed"))
        if row["fix_time"] is not None:
            live.latest = PositionRecord(
                info.unique_id,
                row["fix_time"],
                True,
                row["lat"],
                row["lon"],
                row["speed_kmh"],
                row["course"],
            )
            live.detector.feed(Fix(row["fix_time"], row["lat"], row["lon"], 0.0))


def _about(info: DeviceInfo) -> dict[str, Any]:
    return {
        "device_id": info.id,
        "unique_id": info.unique_id,
        "vehicle_id": info.vehicle_id,
        "plate": info.plate,
        "agency_code": info.agency_code,
    }


def _believed(live: DeviceLive) -> bool:
    """Count one more "impossible" jump; after a few in a row the device really moved."""
    live.jumps += 1
    return live.jumps >= JUMPS_BEFORE_ACCEPT


def _row(info: DeviceInfo, fix: PositionRecord, received_at: datetime) -> PositionRow:
    """In `store.COLUMN_LIST` order: the record's fields from `valid` on are in that order
    already. Attributes are shared, not copied: records are immutable."""
    return (info.id, info.vehicle_id, fix.time, received_at, *fix[2:])


def live_payload(live: DeviceLive) -> dict[str, Any]:
    """What the map gets for one vehicle (compact: thousands per batch)."""
    fix, info = live.latest, live.info
    return {
        "device_id": info.id,
        "vehicle_id": info.vehicle_id,
        "plate": info.plate,
        "kind": info.kind,
        "agency_code": info.agency_code,
        "online": live.online,
        "moving": live.detector.moving,
        "time": fix.time.isoformat() if fix else None,
        "lat": fix.lat if fix else None,
        "lon": fix.lon if fix else None,
        "speed_kmh": fix.speed_kmh if fix else None,
        "course": fix.course if fix else None,
    }


def state_row(live: DeviceLive) -> dict[str, Any]:
    fix = live.latest
    return {
        "device_id": live.info.id,
        "last_seen_at": live.last_seen,
        "online": live.online,
        "fix_time": fix.time if fix else None,
        "lat": fix.lat if fix else None,
        "lon": fix.lon if fix else None,
        "speed_kmh": fix.speed_kmh if fix else None,
        "course": fix.course if fix else None,
        "moving": live.detector.moving,
        "detail": {
            "fences": sorted(live.fences),
            "ignition": live.ignition,
            "overspeed": live.overspeed,
        },
    }
