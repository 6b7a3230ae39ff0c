"""The active geofences as one `GeofenceIndex` (from the geo domain) for point tests.

One index query has a fixed cost of tens of microseconds (array set-up) whatever the number
of points, so the ingest path and reports test all the points they have at once
(`inside_each`) rather than one at a time.

A stored fence that cannot be built (a row older than the API's checks, or edited by hand) is
left out and logged with its id: one bad row must not take the other fences, the geofence
report or the fleet pipeline's start down with it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Select, select

from warroom.core.db import Database
from warroom.fleet.models import Geofence
from warroom.geo.geofence import Fence, GeofenceIndex, fence_from_geojson

log = logging.getLogger("warroom.fleet.fences")
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


def active_geofences(agency: str | None) -> Select[Geofence]:
    """The active geofences a caller may see: with an agency (a partner), that agency's own
    and the city-wide ones; without, all of them."""
    query = select(Geofence).where(Geofence.active.is_(True))
    if agency is not None:
        query = query.where((Geofence.agency_code == agency) | Geofence.agency_code.is_(None))
    return query


def fence_of(row: Geofence) -> Fence:
    return fence_from_geojson(
        str(row.id), row.geometry, radius_m=row.radius_m, half_width_m=row.half_width_m
    )


def check_fence(fence: Fence) -> None:
    """Raise (GeoInputError, or ValueError from GEOS) unless the fence can be indexed:
    coordinates on Earth, a positive size, polygon rings that do not cross."""
    GeofenceIndex([fence])


def load_fences(db: Database, *, agency: str | None = None) -> FenceSet:
    """The active fences (those `agency` may see, see `active_geofences`) in one index."""
    with db.read() as session:
        rows = list(session.scalars(active_geofences(agency)))
    try:
        return _fence_set(rows, [fence_of(row) for row in rows])
    except Exception:  # anything a bad row can raise; the good ones are sorted out below
        buildable = [(row, fence) for row in rows if (fence := _buildable(row)) is not None]
        return _fence_set([row for row, _ in buildable], [fence for _, fence in buildable])


def _fence_set(rows: list[Geofence], fences: list[Fence]) -> FenceSet:
    if not rows:
        return FenceSet()
    return FenceSet(GeofenceIndex(fences), {row.id: row.name for row in rows})


def _buildable(row: Geofence) -> Fence | None:
    """The row's fence, or None (logged) if it cannot be indexed on its own."""
    try:
        fence = fence_of(row)
        check_fence(fence)
    except Exception as exc:  # a stored row may hold anything the old checks let through
        log.error(
            "geofence %s (%s) cannot be built and is left out: %s",
            row.id,
            row.name,
            exc,
            extra={"geofence_id": row.id},
        )
        return None
    return fence
