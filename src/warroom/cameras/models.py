"""Tables of the cameras domain: groups (retention policy), cameras, segments, gaps, events and
exports. Segments are written in bulk through Core inserts; the ORM classes serve reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from warroom.core.clock import utcnow
from warroom.core.db import Base, UtcDateTime

BigId = BigInteger().with_variant(Integer, "sqlite")


class CameraGroup(Base):
    """An area or purpose; carries the retention policy of its cameras."""

    __tablename__ = "camera_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    hot_days: Mapped[float] = mapped_column(Float, default=30)
    event_days: Mapped[float] = mapped_column(Float, default=365)
    archive_days: Mapped[float] = mapped_column(Float, default=1826)  # 0: no archive tier


class Camera(Base):
    __tablename__ = "cameras"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    main_url: Mapped[str] = mapped_column(String(500))
    sub_url: Mapped[str | None] = mapped_column(String(500))
    onvif_url: Mapped[str | None] = mapped_column(String(300))
    # Fernet tokens (see crypto.py); used for ONVIF and injected into the RTSP URLs.
    username_enc: Mapped[str | None] = mapped_column(Text)
    password_enc: Mapped[str | None] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    h3_cell: Mapped[str | None] = mapped_column(String(16), index=True)
    direction_deg: Mapped[float | None] = mapped_column(Float)
    fov_deg: Mapped[float | None] = mapped_column(Float)
    ptz: Mapped[bool] = mapped_column(Boolean, default=False)
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("camera_groups.id", ondelete="SET NULL"), index=True
    )
    agency_code: Mapped[str | None] = mapped_column(ForeignKey("agencies.code"), index=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    recording: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(12), default="unknown")
    status_detail: Mapped[str] = mapped_column(String(300), default="")
    status_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    health: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Segment(Base):
    """One recorded file. ``keep_until`` is set by events; ``protected`` by evidence holds."""

    __tablename__ = "camera_segments"
    __table_args__ = (
        Index("ix_camera_segments_camera_start", "camera_id", "start_at"),
        Index("ix_camera_segments_tier_start", "tier", "start_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"))
    tier: Mapped[str] = mapped_column(String(10))  # "hot" | "archive"
    start_at: Mapped[datetime] = mapped_column(UtcDateTime)
    end_at: Mapped[datetime] = mapped_column(UtcDateTime)
    bytes: Mapped[int] = mapped_column(BigInteger)
    path: Mapped[str] = mapped_column(String(500))
    keep_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    protected: Mapped[bool] = mapped_column(Boolean, default=False)


class RecordingGap(Base):
    """Time without recording; ``end_at`` is empty while the gap is still open."""

    __tablename__ = "camera_gaps"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"), index=True)
    start_at: Mapped[datetime] = mapped_column(UtcDateTime)
    end_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(String(300))


class CameraEvent(Base):
    """A marked time range (incident, motion, operator mark); its video is kept longer, and
    for ever (until released) when ``protected`` as evidence."""

    __tablename__ = "camera_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"), index=True)
    start_at: Mapped[datetime] = mapped_column(UtcDateTime)
    end_at: Mapped[datetime] = mapped_column(UtcDateTime)
    label: Mapped[str] = mapped_column(String(200))
    protected: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ClipExport(Base):
    """An exported MP4 with its SHA-256: the start of the chain of custody."""

    __tablename__ = "camera_exports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"), index=True)
    start_at: Mapped[datetime] = mapped_column(UtcDateTime)
    end_at: Mapped[datetime] = mapped_column(UtcDateTime)
    path: Mapped[str] = mapped_column(String(500))
    bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(300))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
