"""Events the weather domain publishes."""

from __future__ import annotations

from typing import Any

from warroom.core.bus.events import Event


class StationRegistered(Event):
    topic = "weather.station_registered"
    station_id: int
    code: str
    kind: str
    kecamatan_code: str | None


class ObservationsIngested(Event):
    """One committed ingest batch and the newest value per station and quantity in it.

    Kept off the war-room feed (thousands a minute); other domains and the map poll use it.
    """

    topic = "weather.observations_ingested"
    feed = False
    accepted: int
    flagged: int
    latest: dict[str, dict[str, float]]


class AlertRaised(Event):
    topic = "weather.alert_raised"
    alert_id: int
    key: str
    kind: str
    level: str
    title: str
    kecamatan: list[dict[str, Any]]
    kecamatan_approximate: bool
    value: float | None
    lat: float | None
    lon: float | None


class AlertLevelChanged(Event):
    topic = "weather.alert_level_changed"
    alert_id: int
    key: str
    kind: str
    previous_level: str
    level: str
    title: str
    value: float | None


class AlertCleared(Event):
    topic = "weather.alert_cleared"
    alert_id: int
    key: str
    kind: str
    title: str


class EarthquakeRecorded(Event):
    topic = "weather.earthquake_recorded"
    feed = False
    earthquake_id: int
    magnitude: float
    distance_km: float
    region: str


class FeedFailed(Event):
    """A BMKG feed that worked stopped working; its last good data stays shown."""

    topic = "weather.feed_failed"
    feed_name: str
    error: str


class FeedRecovered(Event):
    topic = "weather.feed_recovered"
    feed_name: str
