"""A recorder's health: frame rate, bitrate and reconnects, from ffmpeg's progress reports and
the segments it finished; and the status they mean (online or degraded)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

DEGRADED_FPS_SHARE = 0.5  # below half the camera's usual frame rate it is degraded
FPS_WINDOW = 3  # progress reports the frame rate is measured over
# Reports in a row below that share before the camera is called degraded: one slow window
# (a busy machine delays ffmpeg's reports) flipped a healthy camera's status and back.
SLOW_REPORTS_BEFORE_DEGRADED = 3


@dataclass
class Health:
    """Rolling figures from ffmpeg's progress reports and the segments it finished. Frame rates
    are taken over a window of reports: with stream copy ffmpeg reports frames in bursts."""

    reconnects: int = 0
    frames: int = 0
    fps: float = 0.0
    usual_fps: float = 0.0
    last_frame_at: float = 0.0
    slow_reports: int = 0  # consecutive windows below DEGRADED_FPS_SHARE of the usual rate
    samples: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=FPS_WINDOW))
    recent_bytes: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=30))

    def new_run(self, now: float) -> None:
        self.frames, self.last_frame_at = 0, now
        self.samples.clear()
        self.slow_reports = 0

    def frame_report(self, frames: int, now: float) -> None:
        self.samples.append((now, frames))
        if frames > self.frames:
            self.frames, self.last_frame_at = frames, now
        if len(self.samples) == self.samples.maxlen:
            (t0, f0), (t1, f1) = self.samples[0], self.samples[-1]
            self.fps = (f1 - f0) / max(t1 - t0, 1e-3)
            self.usual_fps = max(self.usual_fps * 0.99, self.fps)
            slow = self.fps < self.usual_fps * DEGRADED_FPS_SHARE
            self.slow_reports = self.slow_reports + 1 if slow else 0

    def bitrate_kbps(self) -> float:
        if len(self.recent_bytes) < 2:
            return 0.0
        span = self.recent_bytes[-1][0] - self.recent_bytes[0][0]
        total = sum(b for _, b in list(self.recent_bytes)[1:])
        return total * 8 / 1000 / span if span > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "fps": round(self.fps, 2),
            "bitrate_kbps": round(self.bitrate_kbps(), 1),
            "reconnects": self.reconnects,
        }

    def status(self) -> str:
        return "degraded" if self.slow_reports >= SLOW_REPORTS_BEFORE_DEGRADED else "online"
