"""The active geofences as one `GeofenceIndex` (from the geo domain) for point tests.

One index query has a fixed cost of tens of microseconds (array set-up) whatever the number
of points, so the ingest path and reports test all the points they have at once
(`inside_each`) rather than one at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from warroom.core.db import Database
from warroom.fleet.models import Geofence
from warroom.geo.geofence import Fence, GeofenceIndex, fence_from_geojson

OUTSIDE: frozenset[int] = frozenset()


@dataclass(frozen=True)
class FenceSet:
    index: GeofenceIndex | None = None
    names: dict[int, str] = field(default_factory=dict)

    def at(self, lat: float, lon: float) -> frozenset[int]:
        return self.inside_each([lat], [lon])[0]

    def inside_each(self, lats: Sequence[float], lons: Sequence[float]) -> list[frozenset[int]]:
        """For each point, the ids of the fences containing it (one query for all)."""
        if self.index is None or not lats:
            return [OUTSIDE] * len(lats)
        hits = self.index.query(lats, lons)
        fence_ids = self.index.fence_ids
        found: dict[int, set[int]] = {}
        for point, fence in zip(hits.point.tolist(), hits.fence.tolist(), strict=True):
            found.setdefault(point, set()).add(int(fence_ids[fence]))
        return [frozenset(found[i]) if i in found else OUTSIDE for i in range(len(lats))]


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
