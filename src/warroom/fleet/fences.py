"""The active geofences as one `GeofenceIndex` (from the geo domain) for point tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from warroom.core.db import Database
from warroom.fleet.models import Geofence
from warroom.geo.geofence import Fence, GeofenceIndex, fence_from_geojson


@dataclass(frozen=True)
class FenceSet:
    index: GeofenceIndex | None = None
    names: dict[int, str] = field(default_factory=dict)

    def at(self, lat: float, lon: float) -> frozenset[int]:
        if self.index is None:
            return frozenset()
        return frozenset(int(fence_id) for fence_id in self.index.fences_at(lat, lon))


def fence_of(row: Geofence) -> Fence:
    return fence_from_geojson(
        str(row.id), row.geometry, radius_m=row.radius_m, half_width_m=row.half_width_m
    )


def load_fences(db: Database) -> FenceSet:
    with db.read() as session:
        rows = list(session.scalars(select(Geofence).where(Geofence.active.is_(True))))
    if not rows:
        return FenceSet()
    return FenceSet(GeofenceIndex([fence_of(row) for row in rows]), {r.id: r.name for r in rows})
