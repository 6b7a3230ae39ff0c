"""Response-time KPIs per period, priority, agency and kecamatan, against the targets.

Measured intervals: answer (ring to answer), call to dispatch (first call to first unit
assigned), dispatch to arrival, and total response (first call to first unit on scene).
"90% within X" is met when at least 90% of the measured incidents took X or less.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.emergency.config import EmergencyConfig, PriorityTarget
from warroom.emergency.models import Assignment, Call, Incident
from warroom.emergency.schemas import KpiMetric, KpiReport

SHARE = 0.9


def metric(
    samples: Sequence[float],
    *,
    within_s: float | None = None,
    mean_s: float | None = None,
    share: float = SHARE,
) -> KpiMetric:
    values = np.asarray(samples, dtype=np.float64)
    if values.size == 0:
        return KpiMetric(
            count=0,
            mean_s=None,
            p90_s=None,
            target={"within_s": within_s, "mean_s": mean_s},
            met=None,
        )
    checks = []
    if within_s is not None:
        checks.append(float(np.mean(values <= within_s)) >= share)
    if mean_s is not None:
        checks.append(float(values.mean()) <= mean_s)
    return KpiMetric(
        count=int(values.size),
        mean_s=round(float(values.mean()), 1),
        p90_s=round(float(np.percentile(values, 90)), 1),
        target={"within_s": within_s, "mean_s": mean_s},
        met=all(checks) if checks else None,
    )


def _seconds(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return (later - earlier).total_seconds()


def _priority_metrics(incidents: list[Incident], target: PriorityTarget) -> dict[str, KpiMetric]:
    def measured(pairs: list[float | None]) -> list[float]:
        return [v for v in pairs if v is not None]

    return {
        "call_to_dispatch": metric(
            measured([_seconds(i.dispatched_at, i.first_call_at) for i in incidents]),
            within_s=target.call_to_dispatch_p90_s,
        ),
        "dispatch_to_arrival": metric(
            measured([_seconds(i.arrived_at, i.dispatched_at) for i in incidents])
        ),
        "response": metric(
            measured([_seconds(i.arrived_at, i.first_call_at) for i in incidents]),
            within_s=target.response_p90_s,
            mean_s=target.response_mean_s,
        ),
    }


def report(
    session: Session,
    *,
    since: datetime,
    until: datetime,
    config: EmergencyConfig,
    agency: str | None = None,
    kecamatan: str | None = None,
) -> KpiReport:
    query = select(Incident).where(Incident.first_call_at >= since, Incident.first_call_at < until)
    if agency is not None:
        query = query.where(
            Incident.id.in_(select(Assignment.incident_id).where(Assignment.agency_code == agency))
        )
    if kecamatan is not None:
        query = query.where(
            (Incident.kecamatan_code == kecamatan) | (Incident.kecamatan == kecamatan)
        )
    incidents = list(session.scalars(query))
    calls = session.execute(
        select(Call.call_type, Call.received_at, Call.answered_at).where(
            Call.answered_at >= since, Call.answered_at < until
        )
    ).all()
    by_type: dict[str, int] = {}
    for row in calls:
        by_type[row.call_type] = by_type.get(row.call_type, 0) + 1
    answer = metric(
        [(r.answered_at - r.received_at).total_seconds() for r in calls],
        within_s=config.answer_target_s,
        share=config.answer_target_share,
    )
    by_priority = {
        f"P{p}": _priority_metrics([i for i in incidents if i.priority == p], target)
        for p, target in sorted(config.targets.items())
    }
    return KpiReport(
        since=since,
        until=until,
        agency=agency,
        kecamatan=kecamatan,
        calls={"total": len(calls), **by_type},
        answer=answer,
        by_priority=by_priority,
    )
