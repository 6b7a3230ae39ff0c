"""How OSM tags become travel rules for motor vehicles: which ways are routable, in which
direction, and at what speed (km/h).

The class speeds are defaults for an Indonesian city (Makassar's arterials rarely move faster
than 60 km/h); pass a different table to ``RoadProfile`` for another city or vehicle type.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

DEFAULT_CLASS_SPEEDS_KMH: Mapping[str, float] = MappingProxyType(
    {
        "motorway": 80.0,
        "motorway_link": 50.0,
        "trunk": 60.0,
        "trunk_link": 40.0,
        "primary": 50.0,
        "primary_link": 35.0,
        "secondary": 40.0,
        "secondary_link": 30.0,
        "tertiary": 35.0,
        "tertiary_link": 25.0,
        "unclassified": 30.0,
        "residential": 25.0,
        "living_street": 10.0,
        "service": 15.0,
        "road": 25.0,
        "track": 10.0,
    }
)
MPH_TO_KMH = 1.609344
_DENY = frozenset({"no", "private"})
_ALLOW = frozenset({"yes", "designated", "permissive", "destination", "delivery", "customers"})
# Most specific first: the first of these keys that is tagged decides access for a car.
_ACCESS_KEYS = ("motorcar", "motor_vehicle", "vehicle", "access")
_MAXSPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph)?\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Direction:
    forward: bool
    backward: bool


@dataclass(frozen=True)
class RoadProfile:
    """Tag rules for one vehicle type. ``class_speeds_kmh`` also defines which highway classes
    are roads at all: footways, paths, steps and the like are absent and so not routable."""

    class_speeds_kmh: Mapping[str, float] = field(default_factory=lambda: DEFAULT_CLASS_SPEEDS_KMH)

    def is_routable(self, tags: Mapping[str, str]) -> bool:
        highway = tags.get("highway", "")
        if highway not in self.class_speeds_kmh or tags.get("area") == "yes":
            return False
        for key in _ACCESS_KEYS:
            value = tags.get(key)
            if value in _DENY:
                return False
            if value in _ALLOW:
                return True
        return True

    def direction(self, tags: Mapping[str, str]) -> Direction:
        oneway = tags.get("oneway", "").lower()
        if oneway in {"yes", "true", "1"}:
            return Direction(forward=True, backward=False)
        if oneway in {"-1", "reverse"}:
            return Direction(forward=False, backward=True)
        implied = tags.get("junction") in {"roundabout", "circular"} or tags.get("highway") in {
            "motorway",
            "motorway_link",
        }
        if implied and oneway != "no":
            return Direction(forward=True, backward=False)
        return Direction(forward=True, backward=True)

    def speeds_kmh(self, tags: Mapping[str, str]) -> tuple[float, float]:
        """(forward, backward) speed: ``maxspeed[:forward|:backward]`` where tagged and readable,
        otherwise the highway class speed."""
        default = parse_maxspeed(tags.get("maxspeed")) or self.class_speeds_kmh.get(
            tags.get("highway", ""), 25.0
        )
        forward = parse_maxspeed(tags.get("maxspeed:forward")) or default
        backward = parse_maxspeed(tags.get("maxspeed:backward")) or default
        return forward, backward


def parse_maxspeed(value: str | None) -> float | None:
    """km/h from a ``maxspeed`` value ("50", "50 km/h", "30 mph"); None for symbolic or unusable
    values ("ID:urban", "none", "signals", "walk"), which fall back to the class speed."""
    if not value:
        return None
    match = _MAXSPEED.match(value.split(";")[0])
    if not match:
        return None
    speed = float(match.group(1))
    if match.group(2) and match.group(2).lower() == "mph":
        speed *= MPH_TO_KMH
    return speed if speed > 0 else None
