"""Dispatch recommendation: the available units able to answer an incident, ranked by road
travel time from their live positions to the incident (one search over the reversed road
graph for all of them, through the geo domain's router)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.core.errors import NotFoundError
from warroom.emergency.lifecycle import UnitStatus
from warroom.emergency.models import Incident, Unit
from warroom.emergency.schemas import Recommendation
from warroom.emergency.taxonomy import qualifies

if TYPE_CHECKING:
    from warroom.geo.routing import Router


def recommend(
    session: Session,
    *,
    incident_id: int,
    router: Router,
    limit: int = 10,
    max_seconds: float | None = None,
) -> list[Recommendation]:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFoundError(f"no incident with id {incident_id}")
    rows = session.execute(
        select(
            Unit.id, Unit.callsign, Unit.agency_code, Unit.capabilities, Unit.lat, Unit.lon
        ).where(Unit.status == UnitStatus.AVAILABLE.value, Unit.lat.is_not(None))
    ).all()
    required = list(incident.required_capabilities)
    able = [r for r in rows if qualifies(r.capabilities, required)]
    if not able:
        return []
    lat = np.fromiter((r.lat for r in able), dtype=np.float64, count=len(able))
    lon = np.fromiter((r.lon for r in able), dtype=np.float64, count=len(able))
    times = router.many_to_one(
        sources=(lat, lon), destination=(incident.lat, incident.lon), max_seconds=max_seconds
    )
    seconds = times.seconds
    meters = times.meters if times.meters is not None else np.full(len(able), np.nan)
    order = [i for i in np.argsort(seconds, kind="stable")[:limit] if np.isfinite(seconds[i])]
    return [
        Recommendation(
            unit_id=able[i].id,
            callsign=able[i].callsign,
            agency_code=able[i].agency_code,
            capabilities=list(able[i].capabilities),
            eta_s=round(float(seconds[i]), 1),
            distance_m=round(float(meters[i]), 1),
            lat=able[i].lat,
            lon=able[i].lon,
        )
        for i in order
    ]
