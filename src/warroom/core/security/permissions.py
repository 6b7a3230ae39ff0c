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


_VIEW = {
    Permission.WARROOM_VIEW,
    Permission.EVENTS_READ,
    Permission.REGIONS_READ,
    Permission.AGENCIES_READ,
    Permission.TOKENS_OWN,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(set(Permission) - {Permission.DEVICE_INGEST}),
    Role.SUPERVISOR: frozenset(_VIEW | {Permission.USERS_READ, Permission.AUDIT_READ}),
    Role.OPERATOR: frozenset(_VIEW),
    Role.DISPATCHER: frozenset(_VIEW),
    Role.ANALYST: frozenset(_VIEW | {Permission.AUDIT_READ}),
    Role.PARTNER: frozenset(_VIEW),
}

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


def permissions_for(role: Role) -> frozenset[Permission]:
    return ROLE_PERMISSIONS[role]
