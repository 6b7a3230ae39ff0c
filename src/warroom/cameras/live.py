"""Live view: HLS made by ``ffmpeg -c copy`` from a camera's sub stream (no transcoding), started
when a browser asks for it and stopped when nobody has asked for a while. Snapshots decode one
frame of the sub stream."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from warroom.core.errors import ConflictError

PLAYLIST = "index.m3u8"
IDLE_SECONDS = 30.0
SNAPSHOT_TIMEOUT = 15.0


@dataclass
class _Session:
    process: subprocess.Popen[bytes]
    folder: Path
    last_used: float


def hls_command(ffmpeg: str, url: str, folder: Path) -> list[str]:
    return [
        ffmpeg,
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-rtsp_transport",
        "tcp",
        "-timeout",
        "5000000",
        "-i",
        url,
        "-map",
        "0:v",
        "-c",
        "copy",
        "-f",
        "hls",
        "-hls_time",
        "1",
        "-hls_list_size",
        "6",
        "-hls_flags",
        "delete_segments+omit_endlist+independent_segments",
        "-hls_segment_filename",
        str(folder / "seg-%06d.ts"),
        str(folder / PLAYLIST),
    ]


class LiveStreams:
    """One HLS packager per watched camera, shared by every viewer. Thread-safe: API handlers
    run in the thread pool."""

    def __init__(self, root: Path, ffmpeg: str) -> None:
        self._root, self._ffmpeg = root, ffmpeg
        self._sessions: dict[int, _Session] = {}
        self._lock = threading.Lock()

    def playlist(self, camera_id: int, url: str, *, wait: float = 20.0) -> Path:
        """The live playlist of the camera, starting its packager if needed."""
        with self._lock:
            session = self._sessions.get(camera_id)
            if session is None or session.process.poll() is not None:
                session = self._start(camera_id, url)
            session.last_used = time.monotonic()
        path = session.folder / PLAYLIST
        deadline = time.monotonic() + wait
        while not path.exists():
            if session.process.poll() is not None:
                raise ConflictError("the camera's sub stream cannot be opened (offline?)")
            if time.monotonic() > deadline:
                raise ConflictError("the live stream did not start in time")
            time.sleep(0.1)
        return path

    def segment(self, camera_id: int, name: str) -> Path | None:
        with self._lock:
            session = self._sessions.get(camera_id)
            if session is None:
                return None
            session.last_used = time.monotonic()
        path = session.folder / name
        return path if path.is_file() else None

    def _start(self, camera_id: int, url: str) -> _Session:
        folder = self._root / str(camera_id)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        process = subprocess.Popen(  # noqa: S603 - fixed argv, our ffmpeg
            hls_command(self._ffmpeg, url, folder),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        session = _Session(process, folder, time.monotonic())
        self._sessions[camera_id] = session
        return session

    def reap(self, *, idle: float = IDLE_SECONDS) -> int:
        """Stop packagers nobody watched for ``idle`` seconds; returns how many."""
        now = time.monotonic()
        with self._lock:
            stale = [cid for cid, s in self._sessions.items() if now - s.last_used > idle]
            sessions = [self._sessions.pop(cid) for cid in stale]
        for session in sessions:
            _terminate(session.process)
        return len(sessions)

    def close(self) -> None:
        self.reap(idle=-1)


def _terminate(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)


def snapshot(ffmpeg: str, url: str) -> bytes:
    """One JPEG from the stream (this decodes a frame; recording never does)."""
    command = [
        ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-rtsp_transport", "tcp",
        "-timeout", "5000000", "-i", url, "-frames:v", "1", "-f", "image2", "-c:v", "mjpeg",
        "pipe:1",
    ]  # fmt: skip
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv, our ffmpeg
            command, capture_output=True, timeout=SNAPSHOT_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise ConflictError("the camera did not send a frame in time") from None
    if result.returncode != 0 or not result.stdout:
        raise ConflictError("the camera's stream cannot be opened (offline or wrong credentials)")
    return result.stdout
