"""Request and response bodies of the cameras API. Unknown fields are refused; credentials are
accepted but never returned."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from warroom.core.schemas import Strict, not_null

RTSP_PATTERN = r"^rtsps?://[^\s]+$"
Status = Literal["unknown", "online", "degraded", "offline"]


class GroupCreate(Strict):
    name: str = Field(min_length=1, max_length=120)
    hot_days: float = Field(default=30, gt=0, le=1826, description="Full video kept this long.")
    event_days: float = Field(
        default=365, ge=0, le=1826, description="Video around events kept this long."
    )
    archive_days: float = Field(
        default=1826, ge=0, le=1826, description="Keyframe archive kept this long (0: none)."
    )


class GroupRead(GroupCreate):
    model_config = ConfigDict(from_attributes=True)
    id: int


class CameraBase(Strict):
    main_url: str = Field(pattern=RTSP_PATTERN, max_length=500, description="Main RTSP stream.")
    sub_url: str | None = Field(
        default=None, pattern=RTSP_PATTERN, max_length=500, description="Sub stream (live view)."
    )
    onvif_url: str | None = Field(
        default=None, pattern=r"^https?://[^\s]+$", max_length=300, description="ONVIF device."
    )
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    direction_deg: float | None = Field(default=None, ge=0, lt=360, description="0 = north.")
    fov_deg: float | None = Field(default=None, gt=0, le=360, description="Field of view.")
    ptz: bool = False
    group_id: int | None = None
    agency_code: str | None = Field(default=None, max_length=30)
    tags: list[str] = Field(default_factory=list, max_length=20)
    recording: bool = True

    @field_validator("main_url", "sub_url")
    @classmethod
    def _no_inline_credentials(cls, url: str | None) -> str | None:
        if url and "@" in url.split("/", 3)[2]:
            raise ValueError("put credentials in username/password, not in the URL")
        return url


class CameraCreate(CameraBase):
    name: str = Field(min_length=1, max_length=120)
    username: str | None = Field(default=None, max_length=120)
    password: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _located_together(self) -> CameraCreate:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon, or neither")
        return self


class CameraUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    main_url: str | None = Field(default=None, pattern=RTSP_PATTERN, max_length=500)
    sub_url: str | None = Field(default=None, pattern=RTSP_PATTERN, max_length=500)
    onvif_url: str | None = Field(default=None, pattern=r"^https?://[^\s]+$", max_length=300)
    username: str | None = Field(default=None, max_length=120)
    password: str | None = Field(default=None, max_length=200)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    direction_deg: float | None = Field(default=None, ge=0, lt=360)
    fov_deg: float | None = Field(default=None, gt=0, le=360)
    ptz: bool | None = None
    group_id: int | None = None
    agency_code: str | None = Field(default=None, max_length=30)
    tags: list[str] | None = Field(default=None, max_length=20)
    recording: bool | None = None

    _present = not_null("name", "main_url", "ptz", "tags", "recording")


class CameraRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    main_url: str
    sub_url: str | None
    onvif_url: str | None
    has_credentials: bool = False
    lat: float | None
    lon: float | None
    direction_deg: float | None
    fov_deg: float | None
    ptz: bool
    group_id: int | None
    agency_code: str | None
    tags: list[str]
    recording: bool
    status: Status
    status_detail: str
    status_at: datetime | None
    health: dict[str, Any]


class Span(BaseModel):
    """Contiguous recording (segments merged) on one tier."""

    tier: str
    start_at: datetime
    end_at: datetime


class GapRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    start_at: datetime
    end_at: datetime | None
    reason: str


class EventCreate(Strict):
    start_at: datetime
    end_at: datetime
    label: str = Field(min_length=1, max_length=200)
    protected: bool = Field(default=False, description="Evidence: never deleted by retention.")

    @model_validator(mode="after")
    def _ordered(self) -> EventCreate:
        if self.start_at.tzinfo is None or self.end_at.tzinfo is None:
            raise ValueError("times need a zone, e.g. 2026-11-27T08:00:00+08:00")
        if self.end_at <= self.start_at:
            raise ValueError("end_at must be after start_at")
        return self


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    camera_id: int
    start_at: datetime
    end_at: datetime
    label: str
    protected: bool
    created_by: str


class Timeline(BaseModel):
    camera_id: int
    start_at: datetime
    end_at: datetime
    spans: list[Span]
    gaps: list[GapRead]
    events: list[EventRead]


class ExportCreate(Strict):
    start_at: datetime
    end_at: datetime
    reason: str = Field(min_length=3, max_length=300, description="Why (chain of custody).")

    @model_validator(mode="after")
    def _ordered(self) -> ExportCreate:
        if self.start_at.tzinfo is None or self.end_at.tzinfo is None:
            raise ValueError("times need a zone, e.g. 2026-11-27T08:00:00+08:00")
        if not 0 < (self.end_at - self.start_at).total_seconds() <= 6 * 3600:
            raise ValueError("the range must be positive and at most 6 hours")
        return self


class ExportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    camera_id: int
    start_at: datetime
    end_at: datetime
    bytes: int
    sha256: str
    reason: str
    created_by: str
    created_at: datetime


class PtzMove(Strict):
    kind: Literal["continuous", "relative", "absolute", "stop", "home"]
    pan: float = Field(default=0, ge=-1, le=1)
    tilt: float = Field(default=0, ge=-1, le=1)
    zoom: float = Field(default=0, ge=-1, le=1)


class PresetCreate(Strict):
    name: str = Field(min_length=1, max_length=60)


class DayNight(Strict):
    mode: Literal["day", "night", "auto"]


class TierForecast(BaseModel):
    tier: str
    used_bytes: int
    budget_bytes: int
    bytes_per_day: float
    days_until_full: float | None = Field(description="None when nothing is being written.")


class SweepReport(BaseModel):
    deleted_segments: int
    freed_bytes: int
    seconds: float
