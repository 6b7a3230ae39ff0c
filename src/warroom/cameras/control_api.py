"""ONVIF control: device information, PTZ moves, presets and day/night.

These handlers are ``async``: they wait on the camera over the network (onvif-zeep-async), and
only touch the database briefly through the thread pool.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from warroom.cameras import onvif_client, service
from warroom.cameras.crypto import CredentialBox
from warroom.cameras.schemas import DayNight, PresetCreate, PtzMove
from warroom.core import audit
from warroom.core.db import Database
from warroom.core.errors import InvalidInputError
from warroom.core.http import DbDep, actor_for
from warroom.core.security.guard import require
from warroom.core.security.permissions import Permission, Principal

router = APIRouter(tags=["cameras"])
Controller = Annotated[Principal, require(Permission.CAMERAS_CONTROL)]
Manager = Annotated[Principal, require(Permission.CAMERAS_MANAGE)]


async def _endpoint(
    request: Request, db: Database, camera_id: int, me: Principal
) -> tuple[str, str, str]:
    box = CredentialBox(request.app.state.settings.secret_key.get_secret_value())
    agency = me.agency_filter()

    def read() -> tuple[str, str, str]:
        with db.read() as session:
            camera = service.get_camera(session, camera_id=camera_id, agency=agency)
            if not camera.onvif_url:
                raise InvalidInputError("the camera has no ONVIF endpoint registered")
            user, password = service.credentials(camera, box)
            return camera.onvif_url, user, password

    return await run_in_threadpool(read)


async def _audit(db: Database, request: Request, me: Principal, camera_id: int, action: str,
                 detail: dict[str, Any]) -> None:  # fmt: skip
    def write() -> None:
        with db.write() as session:
            audit.record(
                session,
                actor=actor_for(request, me),
                action=action,
                target_type="camera",
                target_id=camera_id,
                detail=detail,
            )

    await run_in_threadpool(write)


@router.get("/api/cameras/{camera_id}/onvif/device")
async def onvif_device(camera_id: int, request: Request, db: DbDep, me: Manager) -> dict[str, Any]:
    """Manufacturer, model, firmware and the stream URI of every media profile."""
    url, user, password = await _endpoint(request, db, camera_id, me)
    async with onvif_client.connect(url, user, password) as device:
        return await onvif_client.device_information(device)


@router.post("/api/cameras/{camera_id}/ptz", status_code=204)
async def ptz_move(
    camera_id: int, body: PtzMove, request: Request, db: DbDep, me: Controller
) -> None:
    """continuous (velocities), relative, absolute (positions), stop or home."""
    url, user, password = await _endpoint(request, db, camera_id, me)
    async with onvif_client.connect(url, user, password) as device:
        await onvif_client.ptz(device, body)


@router.get("/api/cameras/{camera_id}/ptz/position")
async def ptz_position(
    camera_id: int, request: Request, db: DbDep, me: Controller
) -> dict[str, float]:
    url, user, password = await _endpoint(request, db, camera_id, me)
    async with onvif_client.connect(url, user, password) as device:
        return await onvif_client.ptz_position(device)


@router.get("/api/cameras/{camera_id}/ptz/presets")
async def list_presets(
    camera_id: int, request: Request, db: DbDep, me: Controller
) -> list[dict[str, str]]:
    url, user, password = await _endpoint(request, db, camera_id, me)
    async with onvif_client.connect(url, user, password) as device:
        return await onvif_client.presets(device)


@router.post("/api/cameras/{camera_id}/ptz/presets", status_code=201)
async def set_preset(
    camera_id: int, body: PresetCreate, request: Request, db: DbDep, me: Controller
) -> dict[str, str]:
    url, user, password = await _endpoint(request, db, camera_id, me)
    async with onvif_client.connect(url, user, password) as device:
        token = await onvif_client.set_preset(device, body.name)
    await _audit(
        db, request, me, camera_id, "camera.preset_set", {"name": body.name, "token": token}
    )
    return {"token": token, "name": body.name}


@router.post("/api/cameras/{camera_id}/ptz/presets/{token}/goto", status_code=204)
async def goto_preset(
    camera_id: int, token: str, request: Request, db: DbDep, me: Controller
) -> None:
    url, user, password = await _endpoint(request, db, camera_id, me)
    async with onvif_client.connect(url, user, password) as device:
        await onvif_client.goto_preset(device, token)


@router.post("/api/cameras/{camera_id}/daynight", status_code=204)
async def day_night(
    camera_id: int, body: DayNight, request: Request, db: DbDep, me: Controller
) -> None:
    """Day (colour), night (infrared) or automatic, through the ONVIF imaging service."""
    url, user, password = await _endpoint(request, db, camera_id, me)
    async with onvif_client.connect(url, user, password) as device:
        await onvif_client.day_night(device, body.mode)
    await _audit(db, request, me, camera_id, "camera.day_night_set", {"mode": body.mode})
