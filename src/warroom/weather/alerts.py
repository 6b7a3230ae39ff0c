"""Opening, escalating and closing alerts: each change audited and announced in its transaction.

At most one alert per ``key`` is open; raising a key that is open only changes its level.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.core import audit, outbox
from warroom.core.audit import SYSTEM, Actor
from warroom.core.clock import utcnow
from warroom.weather.events import AlertCleared, AlertLevelChanged, AlertRaised
from warroom.weather.kecamatan import Kecamatan
from warroom.weather.models import WeatherAlert


@dataclass(frozen=True)
class AlertSpec:
    key: str
    kind: str
    level: str
    title: str
    kecamatan: list[Kecamatan] = field(default_factory=list)
    station_id: int | None = None
    value: float | None = None
    lat: float | None = None
    lon: float | None = None
    geometry_geojson: str | None = None
    expires_at: datetime | None = None

    @property
    def approximate(self) -> bool:
        return any(k.approximate for k in self.kecamatan)


def open_alert_for(session: Session, *, key: str) -> WeatherAlert | None:
    return session.scalars(
        select(WeatherAlert).where(WeatherAlert.key == key, WeatherAlert.closed_at.is_(None))
    ).first()


def raise_alert(session: Session, *, spec: AlertSpec, actor: Actor = SYSTEM) -> WeatherAlert:
    """Open the alert of ``spec.key``, or move the open one to ``spec.level``."""
    current = open_alert_for(session, key=spec.key)
    if current is None:
        return _open(session, spec, actor)
    if current.level != spec.level:
        previous, current.level, current.title = current.level, spec.level, spec.title
        current.value = spec.value
        audit.record(
            session,
            actor=actor,
            action="weather.alert_level_changed",
            target_type="weather_alert",
            target_id=current.id,
            detail={"key": spec.key, "from": previous, "to": spec.level, "value": spec.value},
        )
        outbox.enqueue(
            session,
            AlertLevelChanged(
                alert_id=current.id,
                key=spec.key,
                kind=spec.kind,
                previous_level=previous,
                level=spec.level,
                title=spec.title,
                value=spec.value,
            ),
        )
    return current


def _open(session: Session, spec: AlertSpec, actor: Actor) -> WeatherAlert:
    alert = WeatherAlert(
        key=spec.key,
        kind=spec.kind,
        level=spec.level,
        title=spec.title,
        kecamatan=[k.as_dict() for k in spec.kecamatan],
        kecamatan_approximate=spec.approximate,
        station_id=spec.station_id,
        value=spec.value,
        lat=spec.lat,
        lon=spec.lon,
        geometry_geojson=spec.geometry_geojson,
        opened_at=utcnow(),
        expires_at=spec.expires_at,
    )
    session.add(alert)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="weather.alert_raised",
        target_type="weather_alert",
        target_id=alert.id,
        detail={"key": spec.key, "level": spec.level, "value": spec.value},
    )
    outbox.enqueue(
        session,
        AlertRaised(
            alert_id=alert.id,
            key=spec.key,
            kind=spec.kind,
            level=spec.level,
            title=spec.title,
            kecamatan=alert.kecamatan,
            kecamatan_approximate=spec.approximate,
            value=spec.value,
            lat=spec.lat,
            lon=spec.lon,
        ),
    )
    return alert


def clear_alert(
    session: Session, *, key: str, reason: str, actor: Actor = SYSTEM
) -> WeatherAlert | None:
    """Close the open alert of ``key`` (the condition cleared); None when none is open."""
    alert = open_alert_for(session, key=key)
    if alert is None:
        return None
    alert.closed_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action="weather.alert_cleared",
        target_type="weather_alert",
        target_id=alert.id,
        detail={"key": key, "reason": reason},
    )
    outbox.enqueue(
        session, AlertCleared(alert_id=alert.id, key=key, kind=alert.kind, title=alert.title)
    )
    return alert


def open_keys(session: Session, *, prefix: str) -> set[str]:
    rows = session.scalars(
        select(WeatherAlert.key).where(
            WeatherAlert.closed_at.is_(None), WeatherAlert.key.startswith(prefix)
        )
    )
    return set(rows)
