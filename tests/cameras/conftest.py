"""Cameras fixtures: simulated cameras on a real loopback RTSP server, and an app whose
recorders write short segments so tests stay fast."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_settings
from warroom.cameras.simulator import CameraSimulator
from warroom.core.db import Database
from warroom.web.app import create_app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], Any], timeout: float, what: str, every: float = 0.25) -> Any:
    """Poll ``check`` until it returns something truthy; fail with ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def ffprobe(path: str | Path) -> dict[str, Any]:
    """Stream info and decoded frame count of a file; fails on an unreadable file."""
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-show_entries",
         "stream=codec_name,width,height,nb_read_frames", "-of", "json", str(path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    streams = json.loads(result.stdout)["streams"]
    assert streams, f"{path} has no stream"
    return dict(streams[0])


@pytest.fixture
def simulator() -> Iterator[CameraSimulator]:
    sim = CameraSimulator(count=2, port=free_port(), prefix="TEST")
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def video_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Short segments and a quick watchdog; recorders on."""
    for key, value in {
        "SEGMENT_SECONDS": "2",
        "STALL_SECONDS": "5",
        "CONNECT_TIMEOUT_SECONDS": "3",
        "RETRY_SECONDS": "1",
        "SWEEP_INTERVAL_SECONDS": "3600",
    }.items():
        monkeypatch.setenv(f"WARROOM_CAMERAS_{key}", value)


@pytest.fixture
def sqlite_client(video_env: None, sqlite_template: Path, tmp_path: Path) -> Iterator[TestClient]:
    """An app on SQLite only: the video tests exercise ffmpeg, not the database backends."""
    import shutil

    path = tmp_path / "warroom.db"
    shutil.copy(sqlite_template, path)
    settings = make_settings(f"sqlite:///{path}", tmp_path)
    with TestClient(create_app(settings), base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def video_admin(sqlite_client: TestClient) -> dict[str, str]:
    from tests.conftest import bearer, create_account
    from warroom.core.security.permissions import Role

    db: Database = sqlite_client.app.state.db  # type: ignore[attr-defined]
    return bearer(sqlite_client, create_account(db, Role.ADMIN))
