"""ONVIF adapter (``onvif-zeep-async``): device information, stream URIs, PTZ, presets and
day/night through the imaging service. Camera faults become :class:`CameraError` (HTTP 502)
with a message an operator can act on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from onvif import ONVIFCamera  # type: ignore[import-untyped, unused-ignore]
from onvif.exceptions import ONVIFError  # type: ignore[import-untyped, unused-ignore]
from zeep.exceptions import Fault

from warroom.cameras.schemas import PtzMove
from warroom.core.errors import DomainError

CALL_TIMEOUT = 10.0
IR_CUT = {"day": "ON", "night": "OFF", "auto": "AUTO"}  # IR-cut filter on = colour (day)


class CameraError(DomainError):
    """The camera refused or did not answer."""

    status_code = 502


@dataclass
class Device:
    camera: ONVIFCamera
    profile: str
    video_source: str


def _explain(exc: BaseException) -> str:
    text = str(exc)
    if any(s in text.lower() for s in ("notauthorized", "401", "not authorized", "unauthorized")):
        return "the camera refused the ONVIF credentials"
    if isinstance(exc, OSError | asyncio.TimeoutError | TimeoutError) or "connect" in text.lower():
        return "the camera's ONVIF service is unreachable"
    return f"the camera answered with an error: {text[:200]}"


@asynccontextmanager
async def connect(url: str, username: str, password: str) -> AsyncIterator[Device]:
    """A connected device with its first media profile; closed on exit."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    # Empty credentials still sign requests (WS-Security over ""): open cameras ignore it.
    camera = ONVIFCamera(parts.hostname or "", port, username, password)
    try:
        await asyncio.wait_for(camera.update_xaddrs(), CALL_TIMEOUT)
        media = await camera.create_media_service()
        profiles = await asyncio.wait_for(media.GetProfiles(), CALL_TIMEOUT)
        if not profiles:
            raise CameraError("the camera has no media profile")
        source = profiles[0].VideoSourceConfiguration
        device = Device(camera, profiles[0].token, source.SourceToken if source else "")
        yield device
    except DomainError:
        raise
    except Exception as exc:  # the adapter boundary: any camera fault becomes a clear 502
        raise CameraError(_explain(exc)) from None
    finally:
        await camera.close()


async def _call(method: Any, params: dict[str, Any] | None = None) -> Any:
    try:
        return await asyncio.wait_for(
            method(params) if params is not None else method(), CALL_TIMEOUT
        )
    except (ONVIFError, Fault, OSError, TimeoutError) as exc:
        raise CameraError(_explain(exc)) from None


async def device_information(device: Device) -> dict[str, Any]:
    service = await device.camera.create_devicemgmt_service()
    info = await _call(service.GetDeviceInformation)
    media = await device.camera.create_media_service()
    uris = {}
    profiles = await _call(media.GetProfiles)
    for profile in profiles:
        answer = await _call(
            media.GetStreamUri,
            {
                "StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}},
                "ProfileToken": profile.token,
            },
        )
        uris[profile.token] = answer.Uri
    return {
        "manufacturer": info.Manufacturer,
        "model": info.Model,
        "firmware": info.FirmwareVersion,
        "serial": info.SerialNumber,
        "stream_uris": uris,
    }


def _vector(move: PtzMove) -> dict[str, Any]:
    return {"PanTilt": {"x": move.pan, "y": move.tilt}, "Zoom": {"x": move.zoom}}


async def ptz(device: Device, move: PtzMove) -> None:
    service = await device.camera.create_ptz_service()
    token = {"ProfileToken": device.profile}
    if move.kind == "continuous":
        await _call(service.ContinuousMove, {**token, "Velocity": _vector(move)})
    elif move.kind == "relative":
        await _call(service.RelativeMove, {**token, "Translation": _vector(move)})
    elif move.kind == "absolute":
        await _call(service.AbsoluteMove, {**token, "Position": _vector(move)})
    elif move.kind == "home":
        await _call(service.GotoHomePosition, token)
    else:
        await _call(service.Stop, {**token, "PanTilt": True, "Zoom": True})


async def ptz_position(device: Device) -> dict[str, float]:
    service = await device.camera.create_ptz_service()
    status = await _call(service.GetStatus, {"ProfileToken": device.profile})
    position = status.Position
    return {"pan": position.PanTilt.x, "tilt": position.PanTilt.y, "zoom": position.Zoom.x}


async def set_preset(device: Device, name: str) -> str:
    service = await device.camera.create_ptz_service()
    answer = await _call(service.SetPreset, {"ProfileToken": device.profile, "PresetName": name})
    return str(answer)


async def presets(device: Device) -> list[dict[str, str]]:
    service = await device.camera.create_ptz_service()
    found = await _call(service.GetPresets, {"ProfileToken": device.profile})
    return [{"token": str(p.token), "name": str(p.Name or "")} for p in found or []]


async def goto_preset(device: Device, token: str) -> None:
    service = await device.camera.create_ptz_service()
    await _call(service.GotoPreset, {"ProfileToken": device.profile, "PresetToken": token})


async def day_night(device: Device, mode: str) -> None:
    """Switch the IR-cut filter: day (filter on, colour), night (filter off, infrared), auto."""
    if not _has_imaging(device):
        raise CameraError("the camera has no ONVIF imaging service (day/night not supported)")
    service = await device.camera.create_imaging_service()
    await _call(
        service.SetImagingSettings,
        {
            "VideoSourceToken": device.video_source,
            "ImagingSettings": {"IrCutFilter": IR_CUT[mode]},
            "ForcePersistence": True,
        },
    )


def _has_imaging(device: Device) -> bool:
    return any("imaging" in str(key).lower() for key in (device.camera.xaddrs or {}))
