"""The recorder: one supervised ``ffmpeg -c copy`` per camera writing MPEG-TS segments.

Stream copy only (never transcode). MPEG-TS segments stay readable when a stream dies mid-segment
or the process is killed, unlike MP4 whose index is written at the end. ffmpeg reports each
finished segment in a CSV list and its progress (frames) on stdout; the supervisor indexes
segments, turns progress into health (fps, bitrate, reconnects) and status, restarts a recorder
whose frame counter stalls (watchdog), and reconnects within ``retry_seconds`` plus the RTSP
timeout of the camera coming back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from warroom.cameras.config import CamerasSettings
from warroom.cameras.index import NewSegment

log = logging.getLogger("warroom.cameras.recorder")

PROGRESS_SECONDS = 3  # progress reports and index polls; the watchdog acts within this
HEALTH_REFRESH_SECONDS = 30  # unchanged status is re-stored this often (fps, bitrate)
STOP_GRACE_SECONDS = 5.0
DEGRADED_FPS_SHARE = 0.5  # below half the camera's usual frame rate it is degraded
FPS_WINDOW = 3  # progress reports the frame rate is measured over
FAILURE_HINTS = (
    ("401", "wrong credentials (RTSP 401 Unauthorized)"),
    ("403", "access refused by the camera (RTSP 403)"),
    ("404", "stream path not found on the camera (RTSP 404)"),
    ("No space left", "disk full: recordings cannot be written"),
    ("Connection refused", "camera unreachable (connection refused)"),
    ("timed out", "camera unreachable (timed out)"),
    ("Immediate exit requested", "stream stalled"),
)


class RecorderSink(Protocol):
    """Where a recorder reports; implemented over the database by the cameras runtime."""

    async def segments(self, segments: list[NewSegment]) -> None: ...

    async def status(
        self, camera_id: int, status: str, detail: str, health: dict[str, Any]
    ) -> None: ...

    async def stopped(self, camera_id: int, reason: str) -> None: ...


def explain_failure(stderr_lines: list[str]) -> str:
    text = "\n".join(stderr_lines)
    for needle, meaning in FAILURE_HINTS:
        if needle in text:
            return meaning
    last = stderr_lines[-1].strip() if stderr_lines else ""
    return f"recorder stopped: {last[:200]}" if last else "recorder stopped"


def ffmpeg_command(
    ffmpeg: str, url: str, out_dir: Path, stem: str, c: CamerasSettings
) -> list[str]:
    return [
        ffmpeg,
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "warning",
        "-rtsp_transport",
        "tcp",
        "-timeout",
        str(int(c.connect_timeout_seconds * 1_000_000)),  # microseconds
        "-i",
        url,
        "-map",
        "0:v",
        "-c",
        "copy",
        "-f",
        "segment",
        "-segment_time",
        f"{c.segment_seconds:g}",
        "-segment_time_delta",
        "0.1",
        "-segment_format",
        "mpegts",
        "-reset_timestamps",
        "1",
        "-segment_list",
        str(out_dir / f"{stem}.csv"),
        "-segment_list_type",
        "csv",
        "-progress",
        "pipe:1",
        "-stats_period",
        str(PROGRESS_SECONDS),
        str(out_dir / f"{stem}-%06d.ts"),
    ]


@dataclass
class Health:
    """Rolling figures from ffmpeg's progress reports and the segments it finished. Frame rates
    are taken over a window of reports: with stream copy ffmpeg reports frames in bursts."""

    reconnects: int = 0
    frames: int = 0
    fps: float = 0.0
    usual_fps: float = 0.0
    last_frame_at: float = 0.0
    samples: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=FPS_WINDOW))
    recent_bytes: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=30))

    def new_run(self, now: float) -> None:
        self.frames, self.last_frame_at = 0, now
        self.samples.clear()

    def frame_report(self, frames: int, now: float) -> None:
        self.samples.append((now, frames))
        if frames > self.frames:
            self.frames, self.last_frame_at = frames, now
        if len(self.samples) == self.samples.maxlen:
            (t0, f0), (t1, f1) = self.samples[0], self.samples[-1]
            self.fps = (f1 - f0) / max(t1 - t0, 1e-3)
            self.usual_fps = max(self.usual_fps * 0.99, self.fps)

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
        slow = self.usual_fps > 0 and self.fps < self.usual_fps * DEGRADED_FPS_SHARE
        return "degraded" if slow else "online"


class Recorder:
    """Keeps one camera recording until :meth:`stop`."""

    def __init__(
        self,
        *,
        camera_id: int,
        url: str,
        out_dir: Path,
        config: CamerasSettings,
        sink: RecorderSink,
    ) -> None:
        self.camera_id, self._url, self._dir = camera_id, url, out_dir
        self._config, self._sink = config, sink
        self.health = Health()
        self.process: asyncio.subprocess.Process | None = None
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"recorder-{self.camera_id}")

    async def stop(self) -> None:
        self._stopping.set()
        await self._interrupt()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                reason = await self._one_run()
            except Exception:  # a bug here must not end recording for good
                log.exception("recorder run failed", extra={"camera_id": self.camera_id})
                reason = "recorder error"
            await self._sink.stopped(self.camera_id, reason)
            if self._stopping.is_set():
                return
            self.health.reconnects += 1
            await self._sink.status(self.camera_id, "offline", reason, self.health.as_dict())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._config.retry_seconds)

    async def _one_run(self) -> str:
        started = datetime.now(UTC)
        day_dir = self._dir / started.strftime("%Y-%m-%d")
        day_dir.mkdir(parents=True, exist_ok=True)
        stem = started.strftime("%H%M%S%f")
        command = ffmpeg_command(self._config.ffmpeg, self._url, day_dir, stem, self._config)
        # Progress goes to a plain pipe read without blocking when the watchdog wakes, not to an
        # event-loop reader: one wake-up per camera per period instead of one per line.
        progress_read, progress_write = os.pipe()
        os.set_blocking(progress_read, False)
        try:
            self.process = await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=progress_write,
                stderr=asyncio.subprocess.PIPE,
                env={**os.environ, "TZ": "UTC"},
            )
        finally:
            os.close(progress_write)
        progress = _ProgressReader(progress_read)
        stderr: deque[str] = deque(maxlen=20)
        indexer = _SegmentIndexer(self.camera_id, day_dir / f"{stem}.csv", day_dir)
        self.health.new_run(time.monotonic())
        collector = asyncio.create_task(_collect(self.process.stderr, stderr))
        watcher = asyncio.create_task(self._watch(indexer, progress))
        try:
            await self.process.wait()
            await collector
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
            progress.close()
        await self._index(indexer)  # the segment finished on exit
        return "stopped" if self._stopping.is_set() else explain_failure(list(stderr))

    async def _watch(self, indexer: _SegmentIndexer, progress: _ProgressReader) -> None:
        """Every report: index finished segments, report health, restart on a stall."""
        reported, stored_at = "", 0.0
        while True:
            await asyncio.sleep(PROGRESS_SECONDS)
            frames = progress.latest_frames()
            if frames is not None:
                self.health.frame_report(frames, time.monotonic())
            await self._index(indexer)
            idle = time.monotonic() - self.health.last_frame_at
            if idle > self._config.stall_seconds:
                log.warning("recorder stalled; restarting", extra={"camera_id": self.camera_id})
                await self._interrupt()
                return
            if self.health.fps > 0:  # frames flowing and their rate measured
                status = self.health.status()
                health = self.health.as_dict()
                if status != reported or time.monotonic() - stored_at > HEALTH_REFRESH_SECONDS:
                    await self._sink.status(self.camera_id, status, "", health)
                    reported, stored_at = status, time.monotonic()

    async def _index(self, indexer: _SegmentIndexer) -> None:
        found = indexer.poll()
        if found:
            now = time.monotonic()
            for segment in found:
                self.health.recent_bytes.append((now, segment.bytes))
            await self._sink.segments(found)

    async def _interrupt(self) -> None:
        """SIGINT lets ffmpeg finish the segment in hand (it exits 255); kill if it hangs."""
        process = self.process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), STOP_GRACE_SECONDS)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()


async def _collect(stream: asyncio.StreamReader | None, into: deque[str]) -> None:
    if stream is None:
        return
    async for raw in stream:
        into.append(raw.decode(errors="replace").rstrip())


class _ProgressReader:
    """The newest ``frame=`` count from ffmpeg's ``-progress`` output on a non-blocking pipe."""

    def __init__(self, fd: int) -> None:
        self._fd, self._tail = fd, b""

    def latest_frames(self) -> int | None:
        chunks = [self._tail]
        while True:
            try:
                chunk = os.read(self._fd, 65536)
            except BlockingIOError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        data = b"".join(chunks)
        complete, _, self._tail = data.rpartition(b"\n")
        frames = None
        for line in complete.split(b"\n"):
            if line.startswith(b"frame=") and line[6:].strip().isdigit():
                frames = int(line[6:])
        return frames

    def close(self) -> None:
        os.close(self._fd)


class _SegmentIndexer:
    """Reads new lines of ffmpeg's CSV segment list. Times are anchored to the wall clock when
    the first segment appears, so consecutive segments of one run neither overlap nor gap."""

    def __init__(self, camera_id: int, csv_path: Path, folder: Path) -> None:
        self._camera_id, self._csv, self._folder = camera_id, csv_path, folder
        self._offset = 0
        self._anchor: datetime | None = None

    def poll(self) -> list[NewSegment]:
        try:
            if self._csv.stat().st_size <= self._offset:
                return []  # one stat per poll; the list grows once per segment
            with self._csv.open("rb") as handle:
                handle.seek(self._offset)
                data = handle.read()
        except FileNotFoundError:
            return []
        complete, _, _ = data.rpartition(b"\n")
        if not complete:
            return []
        self._offset += len(complete) + 1
        return [s for line in complete.decode().splitlines() if (s := self._segment(line))]

    def _segment(self, line: str) -> NewSegment | None:
        try:
            name, start_s, end_s = line.rsplit(",", 2)
            start, end = float(start_s), float(end_s)
        except ValueError:
            return None
        path = self._folder / name
        if not path.exists() or end <= start:
            return None
        if self._anchor is None:
            self._anchor = datetime.now(UTC) - timedelta(seconds=end)
        return NewSegment(
            camera_id=self._camera_id,
            tier="hot",
            start_at=self._anchor + timedelta(seconds=start),
            end_at=self._anchor + timedelta(seconds=end),
            bytes=path.stat().st_size,
            path=str(path),
        )
