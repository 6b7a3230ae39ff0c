"""Camera registry operations. Functions take the caller's session and never commit."""

from __future__ import annotations

from typing import Any

import h3  # type: ignore[import-untyped, unused-ignore]
from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.cameras.crypto import CredentialBox
from warroom.cameras.events import CameraRegistered, CameraRemoved, CameraUpdated
from warroom.cameras.models import Camera, CameraGroup
from warroom.cameras.schemas import CameraCreate, CameraRead, CameraUpdate, GroupCreate
from warroom.core import audit, outbox
from warroom.core.errors import ConflictError, InvalidInputError, NotFoundError

H3_RESOLUTION = 9  # about 0.1 km2: fine enough to find the cameras around an incident


def create_group(session: Session, *, data: GroupCreate, actor: audit.Actor) -> CameraGroup:
    if session.scalar(select(CameraGroup.id).where(CameraGroup.name == data.name)) is not None:
        raise ConflictError(f"camera group {data.name!r} already exists")
    group = CameraGroup(**data.model_dump())
    session.add(group)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="camera_group.created",
        target_type="camera_group",
        target_id=group.id,
        detail=data.model_dump(),
    )
    return group


def list_groups(session: Session) -> list[CameraGroup]:
    return list(session.scalars(select(CameraGroup).order_by(CameraGroup.name)))


def _check_references(session: Session, group_id: int | None, agency_code: str | None) -> None:
    if group_id is not None and session.get(CameraGroup, group_id) is None:
        raise InvalidInputError(f"no camera group with id {group_id}")
    if agency_code is not None:
        from sqlalchemy import text

        # Plain SQL: a domain does not import another domain's models (accounts owns agencies).
        found = session.execute(
            text("SELECT 1 FROM agencies WHERE code = :c"), {"c": agency_code}
        ).first()
        if found is None:
            raise InvalidInputError(f"unknown agency {agency_code!r}")


def _place(camera: Camera) -> None:
    located = camera.lat is not None and camera.lon is not None
    camera.h3_cell = h3.latlng_to_cell(camera.lat, camera.lon, H3_RESOLUTION) if located else None


def _set_credentials(
    camera: Camera, box: CredentialBox, username: str | None, password: str | None
) -> None:
    camera.username_enc = box.encrypt(username) if username else None
    camera.password_enc = box.encrypt(password) if password else None


def create_camera(
    session: Session, *, data: CameraCreate, box: CredentialBox, actor: audit.Actor
) -> Camera:
    _check_references(session, data.group_id, data.agency_code)
    if session.scalar(select(Camera.id).where(Camera.name == data.name)) is not None:
        raise ConflictError(f"camera {data.name!r} already exists")
    fields = data.model_dump(exclude={"username", "password"})
    camera = Camera(**fields, status="unknown", status_detail="", health={})
    _set_credentials(camera, box, data.username, data.password)
    _place(camera)
    session.add(camera)
    session.flush()
    _audit(session, actor, "camera.created", camera, {"name": camera.name})
    outbox.enqueue(
        session,
        CameraRegistered(camera_id=camera.id, name=camera.name, agency_code=camera.agency_code),
    )
    return camera


def update_camera(
    session: Session, *, camera_id: int, data: CameraUpdate, box: CredentialBox, actor: audit.Actor
) -> Camera:
    camera = get_camera(session, camera_id=camera_id)
    changes = data.model_dump(exclude_unset=True)
    credentials = {k: changes.pop(k) for k in ("username", "password") if k in changes}
    _check_references(session, changes.get("group_id", camera.group_id), changes.get("agency_code"))
    for name, value in changes.items():
        setattr(camera, name, value)
    if (camera.lat is None) != (camera.lon is None):
        raise InvalidInputError("give both lat and lon, or neither")
    if credentials:
        _set_credentials(camera, box, credentials.get("username"), credentials.get("password"))
    _place(camera)
    detail: dict[str, Any] = {k: str(v) for k, v in changes.items()}
    if credentials:
        detail["credentials"] = "changed"  # never the values themselves
    _audit(session, actor, "camera.updated", camera, detail)
    outbox.enqueue(
        session,
        CameraUpdated(camera_id=camera.id, name=camera.name, agency_code=camera.agency_code),
    )
    return camera


def delete_camera(session: Session, *, camera_id: int, actor: audit.Actor) -> Camera:
    """Remove a camera from the registry; refused while it has protected evidence. The index
    rows of its recordings go with it; the files stay in its ``camera-<id>`` folder for an
    operator to archive or remove."""
    from warroom.cameras.models import Segment

    camera = get_camera(session, camera_id=camera_id)
    protected = session.scalar(
        select(Segment.id).where(Segment.camera_id == camera_id, Segment.protected).limit(1)
    )
    if protected is not None:
        raise ConflictError("the camera has protected evidence; release it before removing")
    _audit(session, actor, "camera.deleted", camera, {"name": camera.name})
    outbox.enqueue(
        session,
        CameraRemoved(camera_id=camera.id, name=camera.name, agency_code=camera.agency_code),
    )
    session.delete(camera)
    return camera


def _audit(
    session: Session, actor: audit.Actor, action: str, camera: Camera, detail: dict[str, Any]
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        target_type="camera",
        target_id=camera.id,
        detail=detail,
    )


def get_camera(session: Session, *, camera_id: int, agency: str | None = None) -> Camera:
    """The camera; ``agency`` (a partner's) hides cameras of other agencies as not found."""
    camera = session.get(Camera, camera_id)
    if camera is None or (agency is not None and camera.agency_code != agency):
        raise NotFoundError(f"no camera with id {camera_id}")
    return camera


def list_cameras(
    session: Session,
    *,
    agency: str | None = None,
    group_id: int | None = None,
    tag: str | None = None,
) -> list[Camera]:
    query = select(Camera).order_by(Camera.name)
    if agency is not None:
        query = query.where(Camera.agency_code == agency)
    if group_id is not None:
        query = query.where(Camera.group_id == group_id)
    cameras = list(session.scalars(query))
    return [c for c in cameras if tag is None or tag in (c.tags or [])]


def to_read(camera: Camera) -> CameraRead:
    read = CameraRead.model_validate(camera)
    return read.model_copy(update={"has_credentials": camera.password_enc is not None})


def credentials(camera: Camera, box: CredentialBox) -> tuple[str, str]:
    user = box.decrypt(camera.username_enc) if camera.username_enc else ""
    password = box.decrypt(camera.password_enc) if camera.password_enc else ""
    return user, password


def stream_url(camera: Camera, box: CredentialBox, *, sub: bool = False) -> str:
    """The RTSP URL with the stored credentials put in (for ffmpeg only; never logged)."""
    from urllib.parse import quote

    url = (camera.sub_url or camera.main_url) if sub else camera.main_url
    user, password = credentials(camera, box)
    if not user:
        return url
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{quote(user, safe='')}:{quote(password, safe='')}@{rest}"


def geojson(cameras: list[Camera]) -> dict[str, Any]:
    """Cameras as a FeatureCollection for the war-room map layer."""
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [c.lon, c.lat]},
            "properties": {
                "id": c.id,
                "name": c.name,
                "status": c.status,
                "direction_deg": c.direction_deg,
                "fov_deg": c.fov_deg,
                "ptz": c.ptz,
                "tags": c.tags,
            },
        }
        for c in cameras
        if c.lat is not None and c.lon is not None
    ]
    return {"type": "FeatureCollection", "features": features}
