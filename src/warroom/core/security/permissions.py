"""Roles and the permissions each one grants.

Every endpoint declares one permission (see ``guard.require``); a role is a set of permissions.
Partners are scoped to their agency: domains filter their data by ``Principal.agency_code``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    OPERATOR = "operator"
    DISPATCHER = "dispatcher"
    ANALYST = "analyst"
    PARTNER = "partner"


class Permission(StrEnum):
    WARROOM_VIEW = "warroom:view"  # the war-room page, map reference data and live feed
    EVENTS_READ = "events:read"
    REGIONS_READ = "regions:read"
    USERS_READ = "users:read"
    USERS_MANAGE = "users:manage"
    AGENCIES_READ = "agencies:read"
    AGENCIES_MANAGE = "agencies:manage"
    DEVICE_KEYS_MANAGE = "device_keys:manage"
    AUDIT_READ = "audit:read"
    TOKENS_OWN = "tokens:own"  # create and revoke one's own API tokens
    DEVICE_INGEST = "device:ingest"  # only device keys carry this
    OPS_METRICS = "ops:metrics"
    CAMERAS_VIEW = "cameras:view"  # camera list, map layer, live view, snapshots
    CAMERAS_CONTROL = "cameras:control"  # PTZ, presets, day/night, marking events
    CAMERAS_PLAYBACK = "cameras:playback"  # recordings and the timeline
    CAMERAS_EXPORT = "cameras:export"  # clip export and evidence protection (chain of custody)
    CAMERAS_MANAGE = "cameras:manage"  # registry, groups, retention, ONVIF setup
    WEATHER_READ = "weather:read"  # stations, observations, alerts, climate
    WEATHER_MANAGE = "weather:manage"  # register stations, thresholds and normals
    FLEET_READ = "fleet:read"  # live vehicles, history, trips and reports (partners: own agency)
    FLEET_MANAGE = "fleet:manage"  # register vehicles, devices and geofences
    CALLS_TAKE = "calls:take"  # 112 call intake (call-takers)
    INCIDENTS_READ = "incidents:read"  # incidents, units, KPIs (partners: own agency only)
    INCIDENTS_WRITE = "incidents:write"  # open incidents, change status, notes, EIDO import
    DISPATCH_ASSIGN = "dispatch:assign"  # recommendations and assigning units
    UNITS_UPDATE = "units:update"  # unit status, acknowledgement, position (partners: own)
    UNITS_MANAGE = "units:manage"  # register emergency units
    WARNINGS_PUBLISH = "warnings:publish"  # publish public CAP warnings


_VIEW = {
    Permission.WARROOM_VIEW,
    Permission.EVENTS_READ,
    Permission.REGIONS_READ,
    Permission.AGENCIES_READ,
    Permission.TOKENS_OWN,
    Permission.WEATHER_READ,
    Permission.FLEET_READ,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(set(Permission) - {Permission.DEVICE_INGEST}),
    Role.SUPERVISOR: frozenset(
        _VIEW
        | {
            Permission.USERS_READ,
            Permission.AUDIT_READ,
            Permission.WEATHER_MANAGE,
            Permission.FLEET_MANAGE,
        }
    ),
    Role.OPERATOR: frozenset(_VIEW),
    Role.DISPATCHER: frozenset(_VIEW),
    Role.ANALYST: frozenset(_VIEW | {Permission.AUDIT_READ}),
    Role.PARTNER: frozenset(_VIEW),
}

# CARESTER 112 (emergency domain). Operators are the call-takers; partners act only on
# incidents their agency's units were sent to (the emergency domain filters by agency).
_CALL_TAKING = {Permission.CALLS_TAKE, Permission.INCIDENTS_READ, Permission.INCIDENTS_WRITE}
_DISPATCHING = _CALL_TAKING | {Permission.DISPATCH_ASSIGN, Permission.UNITS_UPDATE}
_EMERGENCY_GRANTS = {
    Role.SUPERVISOR: _DISPATCHING | {Permission.UNITS_MANAGE, Permission.WARNINGS_PUBLISH},
    Role.OPERATOR: _CALL_TAKING,
    Role.DISPATCHER: _DISPATCHING,
    Role.ANALYST: {Permission.INCIDENTS_READ},
    Role.PARTNER: {Permission.INCIDENTS_READ, Permission.UNITS_UPDATE},
}
for _role, _granted in _EMERGENCY_GRANTS.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | _granted

# Cameras: watching, steering and replaying are the daily work of operators on shift; exports
# (chain of custody) are for supervisors; partners watch and replay their agency's cameras.
_CAMERAS_OPERATE = {
    Permission.CAMERAS_VIEW,
    Permission.CAMERAS_CONTROL,
    Permission.CAMERAS_PLAYBACK,
}
_CAMERA_GRANTS = {
    Role.SUPERVISOR: _CAMERAS_OPERATE | {Permission.CAMERAS_EXPORT},
    Role.OPERATOR: _CAMERAS_OPERATE,
    Role.DISPATCHER: {Permission.CAMERAS_VIEW},
    Role.ANALYST: {Permission.CAMERAS_VIEW, Permission.CAMERAS_PLAYBACK},
    Role.PARTNER: {Permission.CAMERAS_VIEW, Permission.CAMERAS_PLAYBACK},
}
for _role, _granted in _CAMERA_GRANTS.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | _granted

DEVICE_PERMISSIONS = frozenset({Permission.DEVICE_INGEST})


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a user (via session cookie or bearer token) or a device (API key)."""

    kind: str  # "user" | "device"
    id: int
    name: str
    role: Role | None
    agency_code: str | None
    permissions: frozenset[Permission]
    via: str  # "session" | "token" | "device_key"
    credential_id: int = 0
    csrf_token: str = field(default="", repr=False)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def agency_filter(self) -> str | None:
        """The agency a partner is limited to (None: this caller sees every agency's data).

        A partner without an agency gets "", which matches nothing, so a data error can only
        hide data from them, never show them everything.
        """
        if self.role is not Role.PARTNER:
            return None
        return self.agency_code or ""


def permissions_for(role: Role) -> frozenset[Permission]:
    return ROLE_PERMISSIONS[role]
