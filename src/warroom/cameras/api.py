"""Cameras JSON API: registry, groups, map layer, events and storage. Live view, playback and
exports are in media_api.py, ONVIF control in control_api.py, pages in pages.py; all are
included in ``router``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request, status

from warroom.cameras import index, retention, service
from warroom.cameras.control_api import router as control_router
from warroom.cameras.crypto import CredentialBox
from warroom.cameras.media_api import router as media_router
from warroom.cameras.pages import router as pages_router
from warroom.cameras.runtime import runtime_of
from warroom.cameras.schemas import (
    CameraCreate,
    CameraRead,
    CameraUpdate,
    EventCreate,
    EventRead,
    GroupCreate,
    GroupRead,
    SweepReport,
    TierForecast,
)
from warroom.core.clock import utcnow
from warroom.core.http import DbDep, actor_for, notify_outbox
from warroom.core.security.guard import require
from warroom.core.security.permissions import Permission, Principal

router = APIRouter(tags=["cameras"])
Viewer = Annotated[Principal, require(Permission.CAMERAS_VIEW)]
Manager = Annotated[Principal, require(Permission.CAMERAS_MANAGE)]


def scope(me: Principal) -> str | None:
    """Partners see only their agency's cameras."""
    return me.agency_filter()


def box_for(request: Request) -> CredentialBox:
    return CredentialBox(request.app.state.settings.secret_key.get_secret_value())


@router.get("/api/cameras", response_model=list[CameraRead])
def list_cameras(
    db: DbDep, me: Viewer, group_id: int | None = None, tag: str | None = None
) -> list[CameraRead]:
    with db.read() as session:
        cameras = service.list_cameras(session, agency=scope(me), group_id=group_id, tag=tag)
        return [service.to_read(c) for c in cameras]


@router.get("/api/cameras.geojson")
def cameras_geojson(db: DbDep, me: Viewer) -> dict[str, Any]:
    """The cameras layer of the war-room map (status colours, view direction and angle)."""
    with db.read() as session:
        return service.geojson(service.list_cameras(session, agency=scope(me)))


@router.post("/api/cameras", response_model=CameraRead, status_code=201)
def create_camera(body: CameraCreate, request: Request, db: DbDep, me: Manager) -> CameraRead:
    with db.write() as session:
        camera = service.create_camera(
            session, data=body, box=box_for(request), actor=actor_for(request, me)
        )
        result = service.to_read(camera)
    notify_outbox(request)
    return result


@router.get("/api/cameras/{camera_id}", response_model=CameraRead)
def get_camera(camera_id: int, db: DbDep, me: Viewer) -> CameraRead:
    with db.read() as session:
        return service.to_read(service.get_camera(session, camera_id=camera_id, agency=scope(me)))


@router.patch("/api/cameras/{camera_id}", response_model=CameraRead)
def update_camera(
    camera_id: int, body: CameraUpdate, request: Request, db: DbDep, me: Manager
) -> CameraRead:
    with db.write() as session:
        camera = service.update_camera(
            session,
            camera_id=camera_id,
            data=body,
            box=box_for(request),
            actor=actor_for(request, me),
        )
        result = service.to_read(camera)
    notify_outbox(request)
    return result


@router.delete("/api/cameras/{camera_id}", status_code=204)
def delete_camera(camera_id: int, request: Request, db: DbDep, me: Manager) -> None:
    with db.write() as session:
        service.delete_camera(session, camera_id=camera_id, actor=actor_for(request, me))
    notify_outbox(request)


@router.get("/api/camera-groups", response_model=list[GroupRead])
def list_groups(db: DbDep, _: Viewer) -> list[GroupRead]:
    with db.read() as session:
        return [GroupRead.model_validate(g) for g in service.list_groups(session)]


@router.post("/api/camera-groups", response_model=GroupRead, status_code=201)
def create_group(body: GroupCreate, request: Request, db: DbDep, me: Manager) -> GroupRead:
    with db.write() as session:
        group = service.create_group(session, data=body, actor=actor_for(request, me))
        return GroupRead.model_validate(group)


@router.post("/api/cameras/{camera_id}/events", response_model=EventRead, status_code=201)
def mark_event(
    camera_id: int,
    body: EventCreate,
    request: Request,
    db: DbDep,
    me: Annotated[Principal, require(Permission.CAMERAS_CONTROL)],
) -> EventRead:
    """Mark a time range (kept for the group's event days); ``protected`` marks evidence that
    retention never deletes, and needs the export permission."""
    if body.protected and not me.can(Permission.CAMERAS_EXPORT):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "protecting evidence needs cameras:export")
    with db.write() as session:
        camera = service.get_camera(session, camera_id=camera_id, agency=scope(me))
        event = index.mark_event(session, camera=camera, data=body, actor=actor_for(request, me))
        result = EventRead.model_validate(event)
    notify_outbox(request)
    return result


@router.get("/api/camera-storage/forecast", response_model=list[TierForecast])
def storage_forecast(db: DbDep, request: Request, _: Viewer) -> list[TierForecast]:
    """Per tier: used bytes, write rate over the last day and days until the budget is full."""
    budgets = runtime_of(request.app).budgets
    with db.read() as session:
        return retention.forecast(session, now=utcnow(), budgets=budgets)


@router.post("/api/camera-storage/sweep", response_model=SweepReport)
def run_sweep(request: Request, me: Manager) -> SweepReport:
    """Run archiving and the retention sweep now (it also runs on a schedule)."""
    import time

    started = time.perf_counter()
    result = runtime_of(request.app).run_retention(actor=actor_for(request, me))
    notify_outbox(request)
    return SweepReport(
        deleted_segments=result.deleted,
        freed_bytes=result.freed_bytes,
        seconds=round(time.perf_counter() - started, 3),
    )


router.include_router(media_router)
router.include_router(control_router)
router.include_router(pages_router)
