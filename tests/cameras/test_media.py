"""Watching and evidence with real video: live HLS from the sub stream, snapshots, playback
playlists, timeline with events, clip export with SHA-256 and its audit trail."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.cameras.conftest import ffprobe, wait_for
from tests.conftest import bearer, create_account
from warroom.cameras.simulator import CameraSimulator
from warroom.core.audit import AuditEntry
from warroom.core.clock import utcnow
from warroom.core.db import Database
from warroom.core.security.permissions import Role

pytestmark = pytest.mark.slow


@pytest.fixture
def recording(
    sqlite_client: TestClient, video_admin: dict[str, str], simulator: CameraSimulator
) -> int:
    sim = simulator.cameras[0]
    created = sqlite_client.post(
        "/api/cameras",
        json={"name": "Karebosi", "main_url": sim.main_url, "sub_url": sim.sub_url},
        headers=video_admin,
    )
    camera_id = int(created.json()["id"])
    wait_for(lambda: _recorded_seconds(sqlite_client, video_admin, camera_id) >= 5, 40, "video")
    return camera_id


def _recorded_seconds(client: TestClient, headers: dict[str, str], camera_id: int) -> float:
    line = client.get(f"/api/cameras/{camera_id}/timeline", headers=headers).json()
    return sum(
        (
            datetime.fromisoformat(s["end_at"]) - datetime.fromisoformat(s["start_at"])
        ).total_seconds()
        for s in line.get("spans", [])
    )


def test_live_hls_and_snapshot(
    sqlite_client: TestClient,
    video_admin: dict[str, str],
    simulator: CameraSimulator,
    tmp_path: Path,
) -> None:
    sim = simulator.cameras[1]
    camera_id = sqlite_client.post(
        "/api/cameras",
        json={"name": "live", "main_url": sim.main_url, "sub_url": sim.sub_url, "recording": False},
        headers=video_admin,
    ).json()["id"]
    playlist = sqlite_client.get(f"/api/cameras/{camera_id}/live/index.m3u8", headers=video_admin)
    assert playlist.status_code == 200, playlist.text
    assert playlist.headers["content-type"].startswith("application/vnd.apple.mpegurl")

    def first_segment() -> str | None:
        text = sqlite_client.get(
            f"/api/cameras/{camera_id}/live/index.m3u8", headers=video_admin
        ).text
        names = [line for line in text.splitlines() if line.endswith(".ts")]
        return names[0] if names else None

    name = wait_for(first_segment, 20, "a live segment")
    segment = sqlite_client.get(f"/api/cameras/{camera_id}/live/{name}", headers=video_admin)
    assert segment.status_code == 200
    (tmp_path / "live.ts").write_bytes(segment.content)
    assert ffprobe(tmp_path / "live.ts")["width"] == 320  # the sub stream, not transcoded
    bad = sqlite_client.get(f"/api/cameras/{camera_id}/live/..%2Fsecret", headers=video_admin)
    assert bad.status_code == 404
    snap = sqlite_client.get(f"/api/cameras/{camera_id}/snapshot.jpg", headers=video_admin)
    assert snap.status_code == 200 and snap.content[:2] == b"\xff\xd8"


def test_playback_playlist_serves_recorded_segments(
    sqlite_client: TestClient, video_admin: dict[str, str], recording: int
) -> None:
    playlist = sqlite_client.get(f"/api/cameras/{recording}/playback.m3u8", headers=video_admin)
    assert playlist.status_code == 200, playlist.text
    lines = playlist.text.splitlines()
    assert lines[0] == "#EXTM3U" and lines[-1] == "#EXT-X-ENDLIST"
    uri = next(line for line in lines if line.endswith(".ts"))
    segment = sqlite_client.get(uri, headers=video_admin)
    assert segment.status_code == 200 and segment.headers["content-type"] == "video/mp2t"
    old = (utcnow() - timedelta(days=1)).isoformat()
    empty = sqlite_client.get(
        f"/api/cameras/{recording}/playback.m3u8",
        params={"start": old, "end": (utcnow() - timedelta(hours=23)).isoformat()},
        headers=video_admin,
    )
    assert empty.status_code == 404
    naive = sqlite_client.get(
        f"/api/cameras/{recording}/timeline", params={"start": "2026-01-01T00:00:00"},
        headers=video_admin,
    )  # fmt: skip
    assert naive.status_code == 422


def test_export_with_sha256_and_chain_of_custody(
    sqlite_client: TestClient, video_admin: dict[str, str], recording: int
) -> None:
    db: Database = sqlite_client.app.state.db  # type: ignore[attr-defined]
    end = utcnow()
    body = {"start_at": (end - timedelta(seconds=5)).isoformat(), "end_at": end.isoformat()}
    event = sqlite_client.post(
        f"/api/cameras/{recording}/events",
        json={**body, "label": "Kecelakaan", "protected": True},
        headers=video_admin,
    )
    assert event.status_code == 201, event.text
    exported = sqlite_client.post(
        f"/api/cameras/{recording}/exports", json={**body, "reason": "Polisi: laporan 17/XI"},
        headers=video_admin,
    )  # fmt: skip
    assert exported.status_code == 201, exported.text
    clip = exported.json()
    download = sqlite_client.get(f"/api/camera-exports/{clip['id']}/download", headers=video_admin)
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == clip["sha256"]
    assert len(download.content) == clip["bytes"]
    with db.read() as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        path = session.scalars(
            select(AuditEntry.detail).where(AuditEntry.action == "camera.clip_exported")
        ).one()
    assert path["sha256"] == clip["sha256"]
    assert actions[-3:] == ["camera.event_marked", "camera.clip_exported", "camera.clip_downloaded"]
    target = Path(sqlite_client.app.state.settings.data_dir) / "exported.mp4"  # type: ignore[attr-defined]
    target.write_bytes(download.content)
    assert ffprobe(target)["codec_name"] == "h264"
    line = sqlite_client.get(f"/api/cameras/{recording}/timeline", headers=video_admin).json()
    assert [e["label"] for e in line["events"]] == ["Kecelakaan"]


def test_operators_cannot_export_or_protect(sqlite_client: TestClient, recording: int) -> None:
    db: Database = sqlite_client.app.state.db  # type: ignore[attr-defined]
    operator = bearer(sqlite_client, create_account(db, Role.OPERATOR))
    end = utcnow()
    body = {"start_at": (end - timedelta(seconds=5)).isoformat(), "end_at": end.isoformat()}
    protected = sqlite_client.post(
        f"/api/cameras/{recording}/events", json={**body, "label": "x", "protected": True},
        headers=operator,
    )  # fmt: skip
    assert protected.status_code == 403
    marked = sqlite_client.post(
        f"/api/cameras/{recording}/events", json={**body, "label": "x"}, headers=operator
    )
    assert marked.status_code == 201
    exported = sqlite_client.post(
        f"/api/cameras/{recording}/exports", json={**body, "reason": "curious"}, headers=operator
    )
    assert exported.status_code == 403
