"""Storing and reading what the BMKG feeds bring: feed health, earthquakes, CAP warnings,
forecasts. Keyword-only functions on the caller's session; they never commit."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from shapely.geometry import MultiPolygon, mapping  # type: ignore[import-untyped, unused-ignore]
from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.core import outbox
from warroom.core.clock import utcnow
from warroom.weather import alerts
from warroom.weather.alerts import AlertSpec
from warroom.weather.bmkg import Quake
from warroom.weather.cap import CapWarning
from warroom.weather.config import WeatherSettings
from warroom.weather.events import EarthquakeRecorded, FeedFailed, FeedRecovered
from warroom.weather.kecamatan import city_area, haversine_km, touching
from warroom.weather.models import WeatherAlert, WeatherEarthquake, WeatherFeedState, WeatherWarning
from warroom.weather.schemas import FeedStatus

QUAKE_ALERT_HOURS = 6  # an earthquake alert stays open this long for aftershock awareness


def record_attempt(
    session: Session, *, name: str, url: str, error: str | None, payload: Any = None
) -> None:
    """Note a feed read; on success keep ``payload`` (when given) as its last good data.

    A feed that stops working, or works again, is announced once, not at every poll.
    """
    state = session.get(WeatherFeedState, name)
    if state is None:
        state = WeatherFeedState(name=name, url=url)
        session.add(state)
    was_failing = state.last_error is not None
    now = utcnow()
    state.url, state.last_attempt_at, state.last_error = url, now, error and error[:500]
    if error is None:
        state.last_success_at = now
        if payload is not None:
            state.payload = payload
        if was_failing:
            outbox.enqueue(session, FeedRecovered(feed_name=name))
    elif not was_failing:
        outbox.enqueue(session, FeedFailed(feed_name=name, error=error[:500]))


def statuses(session: Session) -> list[FeedStatus]:
    now = utcnow()
    return [
        FeedStatus(
            name=s.name,
            url=s.url,
            last_attempt_at=s.last_attempt_at,
            last_success_at=s.last_success_at,
            age_seconds=None
            if s.last_success_at is None
            else round((now - s.last_success_at).total_seconds(), 1),
            last_error=s.last_error,
            ok=s.last_error is None and s.last_success_at is not None,
        )
        for s in session.scalars(select(WeatherFeedState).order_by(WeatherFeedState.name))
    ]


def forecasts(session: Session) -> list[dict[str, Any]]:
    now = utcnow()
    rows = session.scalars(
        select(WeatherFeedState)
        .where(WeatherFeedState.name.startswith("forecast:"))
        .order_by(WeatherFeedState.name)
    )
    return [
        {
            **(s.payload or {}),
            "fetched_at": s.last_success_at,
            "age_seconds": None
            if s.last_success_at is None
            else round((now - s.last_success_at).total_seconds(), 1),
            "last_error": s.last_error,
        }
        for s in rows
        if s.payload
    ]


def store_quakes(
    session: Session, *, quakes: list[Quake], feed: str, settings: WeatherSettings
) -> int:
    """Keep new earthquakes; near and strong ones raise an alert. Returns how many were new."""
    known = set(
        session.scalars(
            select(WeatherEarthquake.event_key).where(
                WeatherEarthquake.event_key.in_([q.key for q in quakes])
            )
        )
    )
    new = 0
    for quake in quakes:
        if quake.key in known:
            continue
        known.add(quake.key)
        new += 1
        _store_quake(session, quake, feed, settings)
    return new


def _store_quake(session: Session, quake: Quake, feed: str, settings: WeatherSettings) -> None:
    distance = haversine_km(settings.city_lat, settings.city_lon, quake.lat, quake.lon)
    row = WeatherEarthquake(
        event_key=quake.key,
        occurred_at=quake.occurred_at,
        lat=quake.lat,
        lon=quake.lon,
        magnitude=quake.magnitude,
        depth_km=quake.depth_km,
        region=quake.region,
        felt=quake.felt,
        potential=quake.potential,
        distance_km=round(distance, 1),
        feed=feed,
    )
    session.add(row)
    session.flush()
    outbox.enqueue(
        session,
        EarthquakeRecorded(
            earthquake_id=row.id,
            magnitude=quake.magnitude,
            distance_km=row.distance_km,
            region=quake.region,
        ),
    )
    recent = quake.occurred_at > utcnow() - timedelta(hours=QUAKE_ALERT_HOURS)
    if (
        recent
        and distance <= settings.quake_radius_km
        and quake.magnitude >= settings.quake_min_magnitude
    ):
        title = (
            f"Earthquake M{quake.magnitude:.1f}, {distance:.0f} km from the city: {quake.region}"
        )
        alerts.raise_alert(
            session,
            spec=AlertSpec(
                key=f"quake:{quake.key}",
                kind="quake",
                level=f"M{quake.magnitude:.1f}",
                title=title[:300],
                value=quake.magnitude,
                lat=quake.lat,
                lon=quake.lon,
                expires_at=quake.occurred_at + timedelta(hours=QUAKE_ALERT_HOURS),
            ),
        )


def earthquakes(session: Session, limit: int) -> list[WeatherEarthquake]:
    return list(
        session.scalars(
            select(WeatherEarthquake).order_by(WeatherEarthquake.occurred_at.desc()).limit(limit)
        )
    )


def store_warning(session: Session, *, warning: CapWarning, settings: WeatherSettings) -> bool:
    """Keep a CAP warning once; one that touches the city raises an alert naming the kecamatan
    it touches; a Cancel closes the alerts of the warnings it references."""
    if session.scalar(
        select(WeatherWarning.id).where(WeatherWarning.identifier == warning.identifier)
    ):
        return False
    if warning.msg_type == "Cancel":
        for reference in warning.references:
            alerts.clear_alert(session, key=f"cap:{reference}", reason="cancelled by BMKG")
    shape = MultiPolygon(warning.polygons)
    touches = bool(warning.polygons) and shape.intersects(city_area(session, settings.city_bbox))
    geojson = json.dumps(mapping(shape))
    min_lon, min_lat, max_lon, max_lat = shape.bounds if warning.polygons else (0, 0, 0, 0)
    session.add(
        WeatherWarning(
            identifier=warning.identifier,
            sender=warning.sender,
            sent_at=warning.sent,
            effective_at=warning.effective,
            expires_at=warning.expires,
            msg_type=warning.msg_type,
            event=warning.event[:200],
            severity=warning.severity[:20],
            urgency=warning.urgency[:20],
            certainty=warning.certainty[:20],
            headline=warning.headline,
            description=warning.description,
            area_desc=warning.area_desc,
            polygons_geojson=geojson,
            min_lat=min_lat,
            min_lon=min_lon,
            max_lat=max_lat,
            max_lon=max_lon,
            touches_city=touches,
            received_at=utcnow(),
        )
    )
    expired = warning.expires is not None and warning.expires <= utcnow()
    if touches and warning.msg_type != "Cancel" and not expired:
        kecamatan, _ = touching(session, shape)
        alerts.raise_alert(
            session,
            spec=AlertSpec(
                key=f"cap:{warning.identifier}",
                kind="cap",
                level=warning.severity.lower()[:20],
                title=(warning.headline or warning.event)[:300],
                kecamatan=kecamatan,
                geometry_geojson=geojson,
                expires_at=warning.expires,
            ),
        )
    return True


def close_expired_alerts(session: Session) -> int:
    """Warnings and earthquake alerts end at their expiry time."""
    expired = session.scalars(
        select(WeatherAlert).where(
            WeatherAlert.closed_at.is_(None), WeatherAlert.expires_at <= utcnow()
        )
    ).all()
    for alert in expired:
        alerts.clear_alert(session, key=alert.key, reason="expired")
    return len(expired)


def warnings_geojson(session: Session, *, include_expired: bool) -> dict[str, Any]:
    query = select(WeatherWarning).order_by(WeatherWarning.sent_at.desc()).limit(500)
    if not include_expired:
        query = query.where(
            (WeatherWarning.expires_at.is_(None)) | (WeatherWarning.expires_at > utcnow())
        )
    return {
        "type": "FeatureCollection",
        "features": [_feature(w) for w in session.scalars(query)],
    }


def _feature(warning: WeatherWarning) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": warning.identifier,
        "geometry": json.loads(warning.polygons_geojson),
        "properties": {
            "event": warning.event,
            "headline": warning.headline,
            "severity": warning.severity,
            "urgency": warning.urgency,
            "area": warning.area_desc,
            "sent_at": warning.sent_at.isoformat(),
            "expires_at": warning.expires_at.isoformat() if warning.expires_at else None,
            "touches_city": warning.touches_city,
        },
    }
