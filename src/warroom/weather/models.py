"""Tables of the weather domain.

Stations follow OGC SensorThings: a station is a Thing, each quantity it measures a Datastream,
and readings are Observations. Observations are written in bulk with Core inserts; each keeps its
quality-control flags (bad readings are flagged, never dropped) and its local (WITA) day so daily
statistics are a plain GROUP BY on both SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from warroom.core.clock import utcnow
from warroom.core.db import Base, UtcDateTime

BIG_ID = BigInteger().with_variant(Integer, "sqlite")


class WeatherStation(Base):
    """A rain gauge, automatic weather station or water-level sensor (a SensorThings Thing)."""

    __tablename__ = "weather_stations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))  # rain_gauge | aws | water_level
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    h3_cell: Mapped[str] = mapped_column(String(16), index=True)
    elevation_m: Mapped[float | None] = mapped_column(Float)
    kecamatan_code: Mapped[str | None] = mapped_column(String(20), index=True)
    kecamatan_name: Mapped[str | None] = mapped_column(String(120))
    # True when the kecamatan comes from the nearest centroid rather than a boundary polygon.
    kecamatan_approximate: Mapped[bool] = mapped_column(Boolean, default=True)
    agency_code: Mapped[str | None] = mapped_column(String(30))
    interval_seconds: Mapped[int] = mapped_column(Integer, default=300)
    # Water-level thresholds (Indonesian flood stages waspada / siaga / awas), metres.
    level_watch_m: Mapped[float | None] = mapped_column(Float)
    level_alert_m: Mapped[float | None] = mapped_column(Float)
    level_danger_m: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class WeatherDatastream(Base):
    """One quantity of one station, with its unit and the range a real reading can have."""

    __tablename__ = "weather_datastreams"
    __table_args__ = (UniqueConstraint("station_id", "quantity", name="station_quantity"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[int] = mapped_column(
        ForeignKey("weather_stations.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[str] = mapped_column(String(30))
    unit: Mapped[str] = mapped_column(String(12))
    valid_min: Mapped[float] = mapped_column(Float)
    valid_max: Mapped[float] = mapped_column(Float)


class WeatherObservation(Base):
    """One reading. ``qc_flags`` is a bit set (see ``qc.Flag``); 0 means it passed every check."""

    __tablename__ = "weather_observations"
    __table_args__ = (
        UniqueConstraint("datastream_id", "observed_at", name="datastream_time"),
        Index("ix_weather_observations_day", "datastream_id", "local_day"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    datastream_id: Mapped[int] = mapped_column(
        ForeignKey("weather_datastreams.id", ondelete="CASCADE")
    )
    observed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    local_day: Mapped[date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    qc_flags: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)


class WeatherLatest(Base):
    """The newest reading of each datastream, for the map without scanning observations."""

    __tablename__ = "weather_latest"

    datastream_id: Mapped[int] = mapped_column(
        ForeignKey("weather_datastreams.id", ondelete="CASCADE"), primary_key=True
    )
    observed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    value: Mapped[float] = mapped_column(Float)
    qc_flags: Mapped[int] = mapped_column(Integer)


class WeatherNormal(Base):
    """A station's climate normal of one quantity for one calendar month (e.g. BMKG 1991-2020).

    Rain normals are monthly totals (mm); other quantities are monthly means.
    """

    __tablename__ = "weather_normals"
    __table_args__ = (
        UniqueConstraint("station_id", "quantity", "month", name="station_quantity_month"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("weather_stations.id", ondelete="CASCADE"))
    quantity: Mapped[str] = mapped_column(String(30))
    month: Mapped[int] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(200))


class WeatherAlert(Base):
    """An open or closed alert: a rain or water-level threshold, a CAP warning, an earthquake.

    ``key`` names the condition (``rain_1h:ST-01``, ``cap:<identifier>``); at most one alert per
    key is open at a time, and it closes when the condition clears.
    """

    __tablename__ = "weather_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # rain_1h | rain_24h | water_level | cap | quake
    level: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    kecamatan: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    kecamatan_approximate: Mapped[bool] = mapped_column(Boolean)
    station_id: Mapped[int | None] = mapped_column(
        ForeignKey("weather_stations.id", ondelete="SET NULL")
    )
    value: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    geometry_geojson: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)


class WeatherEarthquake(Base):
    """An earthquake from a BMKG feed, with its distance from the city."""

    __tablename__ = "weather_earthquakes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_key: Mapped[str] = mapped_column(String(80), unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    magnitude: Mapped[float] = mapped_column(Float)
    depth_km: Mapped[float | None] = mapped_column(Float)
    region: Mapped[str] = mapped_column(String(300))
    felt: Mapped[str] = mapped_column(String(300))
    potential: Mapped[str] = mapped_column(String(300))
    distance_km: Mapped[float] = mapped_column(Float)
    feed: Mapped[str] = mapped_column(String(30))


class WeatherWarning(Base):
    """A BMKG CAP warning; ``polygons_geojson`` is a GeoJSON MultiPolygon (lon/lat)."""

    __tablename__ = "weather_warnings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    identifier: Mapped[str] = mapped_column(String(200), unique=True)
    sender: Mapped[str] = mapped_column(String(200))
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)
    effective_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    msg_type: Mapped[str] = mapped_column(String(20))
    event: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(20))
    urgency: Mapped[str] = mapped_column(String(20))
    certainty: Mapped[str] = mapped_column(String(20))
    headline: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    area_desc: Mapped[str] = mapped_column(String(500))
    polygons_geojson: Mapped[str] = mapped_column(Text)
    min_lat: Mapped[float] = mapped_column(Float)
    min_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    touches_city: Mapped[bool] = mapped_column(Boolean)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)


class WeatherFeedState(Base):
    """The last good payload of each BMKG feed and how its latest attempt went.

    When a feed is down or returns garbage the last good data stays, shown with its age.
    """

    __tablename__ = "weather_feed_state"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    payload: Mapped[Any] = mapped_column(JSON, nullable=True)
