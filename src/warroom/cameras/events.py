"""Events the cameras domain publishes."""

from __future__ import annotations

from warroom.core.bus.events import Event


class CameraRegistered(Event):
    topic = "cameras.camera_registered"
    camera_id: int
    name: str
    agency_code: str | None


class CameraUpdated(Event):
    topic = "cameras.camera_updated"
    camera_id: int
    name: str
    agency_code: str | None


class CameraRemoved(Event):
    topic = "cameras.camera_removed"
    camera_id: int
    name: str
    agency_code: str | None


class CameraStatusChanged(Event):
    """online / degraded / offline, with the reason (wrong credentials, disk full, ...)."""

    topic = "cameras.status_changed"
    camera_id: int
    name: str
    status: str
    previous: str
    detail: str
    agency_code: str | None


class CameraEventMarked(Event):
    topic = "cameras.event_marked"
    camera_id: int
    mark_id: int
    label: str
    protected: bool
    agency_code: str | None


class ClipExported(Event):
    topic = "cameras.clip_exported"
    camera_id: int
    export_id: int
    sha256: str
    agency_code: str | None


class RetentionSwept(Event):
    topic = "cameras.retention_swept"
    deleted_segments: int
    freed_bytes: int
