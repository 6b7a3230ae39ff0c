"""Recording from a real RTSP server on loopback: segments indexed and readable, health and
status, the watchdog, a dying stream, reconnection and recorded gaps."""

from __future__ import annotations

import itertools
import socket
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.cameras.conftest import ffprobe, free_port, wait_for
from warroom.cameras.models import RecordingGap, Segment
from warroom.cameras.simulator import CameraSimulator
from warroom.core.db import Database
from warroom.core.outbox import OutboxMessage

pytestmark = pytest.mark.slow


def register(client: TestClient, headers: dict[str, str], name: str, url: str) -> int:
    response = client.post(
        "/api/cameras", json={"name": name, "main_url": url, "sub_url": url}, headers=headers
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def segments(db: Database, camera_id: int) -> list[Segment]:
    with db.read() as session:
        query = select(Segment).where(Segment.camera_id == camera_id).order_by(Segment.start_at)
        return list(session.scalars(query))


def camera(client: TestClient, headers: dict[str, str], camera_id: int) -> dict[str, Any]:
    body: dict[str, Any] = client.get(f"/api/cameras/{camera_id}", headers=headers).json()
    return body


def status_topics(db: Database) -> list[str]:
    with db.read() as session:
        rows = session.scalars(
            select(OutboxMessage.payload).where(OutboxMessage.topic == "cameras.status_changed")
        )
        return list(rows)


def test_records_indexes_and_reports_health(
    sqlite_client: TestClient, video_admin: dict[str, str], simulator: CameraSimulator
) -> None:
    db: Database = sqlite_client.app.state.db  # type: ignore[attr-defined]
    camera_id = register(sqlite_client, video_admin, "rec", simulator.cameras[0].main_url)
    found = wait_for(
        lambda: len(segments(db, camera_id)) >= 3 and segments(db, camera_id), 40, "3 segments"
    )
    for seg in found:
        info = ffprobe(seg.path)
        assert info["codec_name"] == "h264" and info["width"] == 640
        assert int(info["nb_read_frames"]) > 0
        assert seg.bytes > 0 and seg.end_at > seg.start_at
    for before, after in itertools.pairwise(found):  # contiguous within one run
        assert abs((after.start_at - before.end_at).total_seconds()) < 0.05
    state = wait_for(
        lambda: (c := camera(sqlite_client, video_admin, camera_id))["health"].get("fps") and c,
        20,
        "health figures",
    )
    assert state["status"] == "online"
    assert 3 <= state["health"]["fps"] <= 30  # the simulator sends 10 fps (bursty at start)
    assert state["health"]["bitrate_kbps"] > 0
    assert any('"online"' in p for p in status_topics(db))


def test_unreachable_camera_is_offline_with_a_reason(
    sqlite_client: TestClient, video_admin: dict[str, str]
) -> None:
    # Bound but never listening: connections are refused, and no camera another test starts
    # meanwhile can take the port (a merely free port once received one, answering 404).
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        url = f"rtsp://127.0.0.1:{holder.getsockname()[1]}/nothing"
        camera_id = register(sqlite_client, video_admin, "gone", url)
        state = wait_for(
            lambda: (
                (c := camera(sqlite_client, video_admin, camera_id))["status"] == "offline" and c
            ),
            20,
            "offline status",
        )
    assert "unreachable" in state["status_detail"]


def test_stalled_stream_restarts_and_reconnects_within_10_s(
    sqlite_client: TestClient, video_admin: dict[str, str], simulator: CameraSimulator
) -> None:
    db: Database = sqlite_client.app.state.db  # type: ignore[attr-defined]
    camera_id = register(sqlite_client, video_admin, "stall", simulator.cameras[1].main_url)
    wait_for(lambda: len(segments(db, camera_id)) >= 2, 40, "recording to start")
    simulator.freeze(2)  # the camera keeps the connection but sends nothing: a hung camera
    wait_for(
        lambda: camera(sqlite_client, video_admin, camera_id)["status"] == "offline", 30, "offline"
    )
    before = len(segments(db, camera_id))
    for seg in segments(db, camera_id):  # what was written before the stall stays readable
        assert int(ffprobe(seg.path)["nb_read_frames"]) > 0
    simulator.freeze(2, frozen=False)
    returned = time.monotonic()
    wait_for(lambda: len(segments(db, camera_id)) > before, 30, "recording to resume")
    # first new segment closes after one segment length: subtract it from the measured delay
    assert time.monotonic() - returned < 10 + 2 + 3, "recorder must reconnect within 10 s"
    with db.read() as session:
        gaps = list(
            session.scalars(select(RecordingGap).where(RecordingGap.camera_id == camera_id))
        )
    assert len(gaps) == 1 and gaps[0].end_at is not None
    health = camera(sqlite_client, video_admin, camera_id)["health"]
    assert health["reconnects"] >= 1


def test_camera_dying_mid_segment_leaves_readable_files(
    sqlite_client: TestClient, video_admin: dict[str, str]
) -> None:
    db: Database = sqlite_client.app.state.db  # type: ignore[attr-defined]
    sim = CameraSimulator(count=1, port=free_port(), prefix="DIE")
    sim.start()
    try:
        camera_id = register(sqlite_client, video_admin, "dies", sim.cameras[0].main_url)
        wait_for(lambda: len(segments(db, camera_id)) >= 2, 40, "recording to start")
        time.sleep(1.0)  # into the middle of the next segment
    finally:
        sim.stop()  # the RTSP server disappears with the connection open
    wait_for(
        lambda: camera(sqlite_client, video_admin, camera_id)["status"] == "offline", 30, "offline"
    )
    files = segments(db, camera_id)
    assert files
    for seg in files:
        assert int(ffprobe(seg.path)["nb_read_frames"]) > 0
