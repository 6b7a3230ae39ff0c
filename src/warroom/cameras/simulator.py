"""Simulated cameras: N test cameras on a real RTSP server bound to loopback.

The RTSP server is ipycam's ``NativeRTSPServer`` (real RTSP/RTP over UDP or TCP). Each camera has
a main and a sub stream (``rtsp://127.0.0.1:PORT/camN_main`` and ``_sub``).

Two ways to feed it:
- live (default): a moving test pattern with the camera's name and the clock, encoded by one
  libx264 process per RTSP client (ipycam's design), so a wall of tiles is visibly live;
- ``looped``: a 20-second clip per stream encoded once at start and replayed by stream copy to
  every client. A client then costs the simulator about what it costs a recorder, which is what
  many cameras on a small machine (and the recorder CPU benchmark) need.
"""

from __future__ import annotations

import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from ipycam import NativeRTSPServer  # type: ignore[import-untyped, unused-ignore]

from warroom.core.errors import InvalidInputError

MAIN_SIZE = (640, 360)  # 640x360 encodes cleanly from the first segment (see GUIDE.md)
SUB_SIZE = (320, 180)
LOOPBACK = "127.0.0.1"
CLIP_SECONDS = 20


class _RTSPServer(NativeRTSPServer):  # type: ignore[misc]
    """ipycam's server, keeping quiet sessions open.

    ipycam drops a client whose control connection is silent for 30 s, but announces a 60 s
    session timeout, and ffmpeg only sends its keep-alive at about half of that: recordings were
    cut every 30 s. Silence on the control connection is normal while video flows.
    """

    def _receive_rtsp_request(self, client_socket: socket.socket) -> bytes | None:
        data = b""
        while self._is_running:
            try:
                chunk = client_socket.recv(4096)
            except TimeoutError:
                if data:
                    return data
                continue
            if not chunk:
                return None
            data += chunk
            if b"\r\n\r\n" in data:
                return data
        return None


class _LoopedRTSPServer(_RTSPServer):
    """The server with each client's encoder replaced by a stream copy of a prepared clip."""

    def __init__(self, port: int, host: str, clips: dict[str, Path]) -> None:
        super().__init__(port=port, host=host)
        self.clips = clips

    def _copy_command(self, stream_info: Any, output: str) -> list[str]:
        return [
            "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-re", "-stream_loop",
            "-1", "-i", str(self.clips[stream_info.name]), "-map", "0:v", "-c", "copy", "-f",
            "rtp", "-payload_type", "96", output,
        ]  # fmt: skip

    def _build_ffmpeg_rtp_cmd_tcp_local(
        self, stream_info: Any, local_port: int, rtcp_port: int | None = None
    ) -> list[str]:
        output = f"rtp://127.0.0.1:{local_port}"
        return self._copy_command(
            stream_info, output + (f"?rtcpport={rtcp_port}" if rtcp_port else "")
        )

    def _build_ffmpeg_rtp_cmd_udp(self, stream_info: Any, session: Any) -> list[str]:
        local = session.rtp_socket.getsockname()[1] if session.rtp_socket else 0
        output = f"rtp://{session.client_address[0]}:{session.rtp_port}?localport={local}"
        return self._copy_command(stream_info, output)


def _encode_clip(label: str, size: tuple[int, int], fps: int, bitrate: str, target: Path) -> None:
    """The live pattern, encoded once with the same settings ipycam uses per client."""
    command = [
        "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "rawvideo",
        "-pix_fmt", "bgr24", "-s", f"{size[0]}x{size[1]}", "-r", str(fps), "-i", "-",
        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-profile:v",
        "baseline", "-level", "3.1", "-pix_fmt", "yuv420p", "-g", str(fps * 2), "-b:v", bitrate,
        "-f", "mpegts", "-y", str(target),
    ]  # fmt: skip
    frames = b"".join(
        cv2.resize(_pattern(label, tick, MAIN_SIZE), size).tobytes()
        for tick in range(CLIP_SECONDS * fps)
    )
    subprocess.run(command, input=frames, check=True, capture_output=True, timeout=120)  # noqa: S603


@dataclass(frozen=True)
class SimulatedCamera:
    index: int
    name: str
    main_url: str
    sub_url: str


class CameraSimulator:
    def __init__(
        self, *, count: int, port: int, fps: int = 10, prefix: str = "SIM", looped: bool = False
    ) -> None:
        if not 1 <= count <= 64:
            raise InvalidInputError("simulate between 1 and 64 cameras")
        self.count, self.port, self.fps, self._prefix = count, port, fps, prefix
        self.looped = looped
        self._clips: dict[str, Path] = {}
        self._server = (
            _LoopedRTSPServer(port, LOOPBACK, self._clips)
            if looped
            else _RTSPServer(port=port, host=LOOPBACK)
        )
        self._running = threading.Event()
        self._thread: threading.Thread | None = None
        self._paused: set[int] = set()

    @property
    def cameras(self) -> list[SimulatedCamera]:
        base = f"rtsp://{LOOPBACK}:{self.port}"
        return [
            SimulatedCamera(
                i, f"{self._prefix}-{i:02d}", f"{base}/cam{i}_main", f"{base}/cam{i}_sub"
            )
            for i in range(1, self.count + 1)
        ]

    def start(self) -> None:
        for i in range(1, self.count + 1):
            self._server.add_stream(f"cam{i}_main", *MAIN_SIZE, self.fps, bitrate="800k")
            self._server.add_stream(f"cam{i}_sub", *SUB_SIZE, self.fps, bitrate="250k")
        if not self._server.start():
            raise InvalidInputError(f"cannot serve RTSP on {LOOPBACK}:{self.port} (port in use?)")
        if self.looped:
            self._prepare_clips()
            return  # clips replay by stream copy: no frames to feed
        self._running.set()
        self._thread = threading.Thread(target=self._feed, name="camera-simulator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._running.clear()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server.stop()

    def _prepare_clips(self) -> None:
        folder = Path(tempfile.mkdtemp(prefix="warroom-sim-"))
        for camera in self.cameras:
            for kind, size, bitrate in (("main", MAIN_SIZE, "800k"), ("sub", SUB_SIZE, "250k")):
                clip = folder / f"cam{camera.index}_{kind}.ts"
                _encode_clip(camera.name, size, self.fps, bitrate, clip)
                self._clips[f"cam{camera.index}_{kind}"] = clip

    def freeze(self, index: int, frozen: bool = True) -> None:
        """Stop (or resume) feeding frames to one camera: its stream stalls like a hung camera."""
        (self._paused.add if frozen else self._paused.discard)(index)

    def _feed(self) -> None:
        interval = 1.0 / self.fps
        tick = 0
        next_at = time.monotonic()
        while self._running.is_set():
            for i in range(1, self.count + 1):
                if i in self._paused:
                    continue
                frame = _pattern(f"{self._prefix}-{i:02d}", tick, MAIN_SIZE)
                self._server.stream_frame(f"cam{i}_main", frame)
                self._server.stream_frame(f"cam{i}_sub", cv2.resize(frame, SUB_SIZE))
            tick += 1
            next_at += interval
            time.sleep(max(0.0, next_at - time.monotonic()))


def _pattern(label: str, tick: int, size: tuple[int, int]) -> np.ndarray:
    width, height = size
    frame = np.zeros((height, width, 3), dtype=np.uint8)
    frame[:, :, 1] = 40
    x = (tick * 8) % width
    frame[:, max(0, x - 20) : x, :] = (60, 160, 220)
    stamp = time.strftime("%H:%M:%S", time.gmtime()) + " UTC"
    cv2.putText(frame, label, (16, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.1, (255, 255, 255), 2)
    cv2.putText(frame, stamp, (16, height - 20), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (200, 200, 200), 2)
    return frame
