"""Allowed status changes of incidents and units. Anything else is refused (409)."""

from __future__ import annotations

from enum import StrEnum

from warroom.core.errors import ConflictError


class IncidentStatus(StrEnum):
    NEW = "new"
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    TRANSPORTING = "transporting"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class UnitStatus(StrEnum):
    AVAILABLE = "available"
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    TRANSPORTING = "transporting"
    AT_HOSPITAL = "at_hospital"
    OUT_OF_SERVICE = "out_of_service"


I, U = IncidentStatus, UnitStatus  # noqa: E741 - short names keep the tables readable

# A unit may reach the scene before anyone pressed "en route" (GPS arrival), so
# dispatched -> on_scene is allowed; going back never is.
INCIDENT_NEXT: dict[IncidentStatus, frozenset[IncidentStatus]] = {
    I.NEW: frozenset({I.DISPATCHED, I.CANCELLED}),
    I.DISPATCHED: frozenset({I.EN_ROUTE, I.ON_SCENE, I.CANCELLED}),
    I.EN_ROUTE: frozenset({I.ON_SCENE, I.CANCELLED}),
    I.ON_SCENE: frozenset({I.TRANSPORTING, I.RESOLVED}),
    I.TRANSPORTING: frozenset({I.RESOLVED}),
    I.RESOLVED: frozenset({I.CLOSED}),
    I.CLOSED: frozenset(),
    I.CANCELLED: frozenset(),
}

OPEN_INCIDENT = frozenset({I.NEW, I.DISPATCHED, I.EN_ROUTE, I.ON_SCENE, I.TRANSPORTING})
ACTIVE_INCIDENT = OPEN_INCIDENT - {I.NEW}

# Assignment (available -> dispatched) is not here: it only happens through assign_units,
# with its race-safe conditional update.
UNIT_NEXT: dict[UnitStatus, frozenset[UnitStatus]] = {
    U.AVAILABLE: frozenset({U.OUT_OF_SERVICE}),
    U.DISPATCHED: frozenset({U.EN_ROUTE, U.ON_SCENE, U.AVAILABLE}),
    U.EN_ROUTE: frozenset({U.ON_SCENE, U.AVAILABLE}),
    U.ON_SCENE: frozenset({U.TRANSPORTING, U.AVAILABLE}),
    U.TRANSPORTING: frozenset({U.AT_HOSPITAL, U.AVAILABLE}),
    U.AT_HOSPITAL: frozenset({U.AVAILABLE}),
    U.OUT_OF_SERVICE: frozenset({U.AVAILABLE}),
}

# How a unit's progress moves its incident forward (only ever forward).
INCIDENT_FOLLOWS_UNIT: dict[UnitStatus, IncidentStatus] = {
    U.EN_ROUTE: I.EN_ROUTE,
    U.ON_SCENE: I.ON_SCENE,
    U.TRANSPORTING: I.TRANSPORTING,
}

_ORDER = [I.NEW, I.DISPATCHED, I.EN_ROUTE, I.ON_SCENE, I.TRANSPORTING, I.RESOLVED, I.CLOSED]


def is_ahead(target: IncidentStatus, current: IncidentStatus) -> bool:
    """True when ``target`` lies later in the lifecycle than ``current``."""
    if current not in _ORDER or target not in _ORDER:
        return False
    return _ORDER.index(target) > _ORDER.index(current)


def check_incident_change(current: str, target: IncidentStatus) -> None:
    allowed = INCIDENT_NEXT[IncidentStatus(current)]
    if target not in allowed:
        options = ", ".join(sorted(allowed)) or "none (final)"
        raise ConflictError(
            f"an incident that is {current} cannot become {target}; allowed: {options}"
        )


def check_unit_change(current: str, target: UnitStatus) -> None:
    allowed = UNIT_NEXT[UnitStatus(current)]
    if target not in allowed:
        options = ", ".join(sorted(allowed)) or "none"
        hint = " (assign it to an incident instead)" if target is U.DISPATCHED else ""
        raise ConflictError(
            f"a unit that is {current} cannot become {target}{hint}; allowed: {options}"
        )
