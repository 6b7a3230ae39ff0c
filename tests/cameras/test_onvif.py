"""ONVIF through the API against a real ONVIF implementation on loopback (the ipycam virtual
camera): device information, stream URIs, PTZ moves, presets, and clear errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.cameras.conftest import free_port
from tests.cameras.onvif_camera import VirtualCamera, virtual_camera

pytestmark = pytest.mark.slow


@pytest.fixture
def ptz_camera(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[VirtualCamera]:
    monkeypatch.chdir(tmp_path)  # ipycam keeps its presets in ./ptz_presets.json
    with virtual_camera(free_port(), free_port(), "admin", "rahasia-123") as camera:
        yield camera


def register(client: TestClient, headers: dict[str, str], cam: VirtualCamera, password: str) -> int:
    response = client.post(
        "/api/cameras",
        json={
            "name": f"ptz-{password}",
            "main_url": "rtsp://127.0.0.1:1/unused",
            "onvif_url": cam.url,
            "username": cam.username,
            "password": password,
            "ptz": True,
            "recording": False,
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_device_information_and_stream_uris(
    sqlite_client: TestClient, video_admin: dict[str, str], ptz_camera: VirtualCamera
) -> None:
    camera_id = register(sqlite_client, video_admin, ptz_camera, ptz_camera.password)
    info = sqlite_client.get(f"/api/cameras/{camera_id}/onvif/device", headers=video_admin)
    assert info.status_code == 200, info.text
    body = info.json()
    assert body["model"] == "VirtualCam-1"
    assert any(uri.startswith("rtsp://127.0.0.1") for uri in body["stream_uris"].values())


def test_ptz_moves_presets_and_home(
    sqlite_client: TestClient, video_admin: dict[str, str], ptz_camera: VirtualCamera
) -> None:
    camera_id = register(sqlite_client, video_admin, ptz_camera, ptz_camera.password)
    base = f"/api/cameras/{camera_id}"

    def move(**body: object) -> None:
        response = sqlite_client.post(f"{base}/ptz", json=body, headers=video_admin)
        assert response.status_code == 204, response.text

    def position() -> dict[str, float]:
        response = sqlite_client.get(f"{base}/ptz/position", headers=video_admin)
        assert response.status_code == 200, response.text
        return dict(response.json())

    move(kind="absolute", pan=0.5, tilt=0.25, zoom=0.5)
    assert position() == pytest.approx({"pan": 0.5, "tilt": 0.25, "zoom": 0.5}, abs=0.01)
    preset = sqlite_client.post(
        f"{base}/ptz/presets", json={"name": "Gerbang"}, headers=video_admin
    )
    assert preset.status_code == 201, preset.text
    token = preset.json()["token"]
    listed = sqlite_client.get(f"{base}/ptz/presets", headers=video_admin).json()
    assert {"token": token, "name": "Gerbang"} in listed
    move(kind="relative", pan=-0.25, tilt=0, zoom=0)
    assert position()["pan"] == pytest.approx(0.25, abs=0.01)
    goto = sqlite_client.post(f"{base}/ptz/presets/{token}/goto", headers=video_admin)
    assert goto.status_code == 204, goto.text
    assert position()["pan"] == pytest.approx(0.5, abs=0.01)
    move(kind="continuous", pan=0.3, tilt=0, zoom=0)
    move(kind="stop")
    move(kind="home")
    assert position()["pan"] == pytest.approx(0.0, abs=0.01)


def test_wrong_credentials_and_unreachable_are_clear(
    sqlite_client: TestClient, video_admin: dict[str, str], ptz_camera: VirtualCamera
) -> None:
    wrong = register(sqlite_client, video_admin, ptz_camera, "salah-sandi")
    response = sqlite_client.get(f"/api/cameras/{wrong}/onvif/device", headers=video_admin)
    assert response.status_code == 502
    assert "credentials" in response.json()["detail"]
    moved = sqlite_client.post(
        f"/api/cameras/{wrong}/ptz", json={"kind": "stop"}, headers=video_admin
    )
    assert moved.status_code == 502
    gone = sqlite_client.post(
        "/api/cameras",
        json={
            "name": "gone",
            "main_url": "rtsp://127.0.0.1:1/x",
            "onvif_url": f"http://127.0.0.1:{free_port()}/onvif/device_service",
            "recording": False,
        },
        headers=video_admin,
    ).json()
    unreachable = sqlite_client.get(f"/api/cameras/{gone['id']}/onvif/device", headers=video_admin)
    assert unreachable.status_code == 502
    assert "unreachable" in unreachable.json()["detail"]


def test_day_night_needs_an_imaging_service(
    sqlite_client: TestClient, video_admin: dict[str, str], ptz_camera: VirtualCamera
) -> None:
    camera_id = register(sqlite_client, video_admin, ptz_camera, ptz_camera.password)
    response = sqlite_client.post(
        f"/api/cameras/{camera_id}/daynight", json={"mode": "night"}, headers=video_admin
    )
    assert response.status_code == 502  # ipycam has no imaging service: said clearly
    assert "imaging" in response.json()["detail"]
