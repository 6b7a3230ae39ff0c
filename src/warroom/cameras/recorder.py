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
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from warroom.cameras.config import CamerasSettings
from warroom.cameras.health import Health
from warroom.cameras.index import NewSegment
from warroom.cameras.watchclock import WatchClock

log = logging.getLogger("warroom.cameras.recorder")

PROGRESS_SECONDS = 3  # progress reports and index polls; the watchdog acts within this
HEALTH_REFRESH_SECONDS = 30  # unchanged status is re-stored this often (fps, bitrate)
STOP_GRACE_SECONDS = 5.0
PIPE_READ_BYTES = 65536
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

    def segments(self, segments: list[NewSegment]) -> None:
        """Queue finished segments for indexing; must not block."""

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
class _Run:
    """What the watch looks at while one ffmpeg runs."""

    progress: _ProgressReader
    indexer: _SegmentIndexer
    reported: str = ""
    stored_at: float = 0.0


class Recorder:
    """Keeps one camera recording until :meth:`stop`.

    Recorders of one process share a :class:`WatchClock`: one wake-up per period for all of
    them (see watchclock.py); a recorder without one gets its own.
    """

    def __init__(
        self,
        *,
        camera_id: int,
        url: str,
        out_dir: Path,
        config: CamerasSettings,
        sink: RecorderSink,
        clock: WatchClock | None = None,
    ) -> None:
        self.camera_id, self._url, self._dir = camera_id, url, out_dir
        self._config, self._sink = config, sink
        self._clock = clock if clock is not None else WatchClock(PROGRESS_SECONDS)
        self.health = Health()
        self.process: asyncio.subprocess.Process | None = None
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._current: _Run | None = None
        self._follow_ups: set[asyncio.Task[None]] = set()

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
        # Progress goes to a plain pipe read without blocking when the clock ticks, not to an
        # event-loop reader: no wake-up per line.
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
        run = _Run(
            _ProgressReader(progress_read),
            _SegmentIndexer(self.camera_id, day_dir / f"{stem}.csv", day_dir),
        )
        stderr: deque[str] = deque(maxlen=20)
        self.health.new_run(time.monotonic())
        self._current = run
        self._clock.add(self)
        try:
            await _collect(self.process.stderr, stderr)
            await self.process.wait()
        finally:
            self._clock.discard(self)
            self._current = None
            # A status write still in flight must land before "offline" is reported.
            await asyncio.gather(*self._follow_ups, return_exceptions=True)
            run.progress.close()
        self._index(run.indexer, time.monotonic())  # the segment finished on exit
        return "stopped" if self._stopping.is_set() else explain_failure(list(stderr))

    def tick(self, now: float) -> None:
        """Each period: index finished segments, update health, restart on a stall."""
        run = self._current
        if run is None:
            return
        frames = run.progress.latest_frames()
        if frames is not None:
            self.health.frame_report(frames, now)
        self._index(run.indexer, now)
        if now - self.health.last_frame_at > self._config.stall_seconds:
            log.warning("recorder stalled; restarting", extra={"camera_id": self.camera_id})
            self._clock.discard(self)
            self._follow_up(self._interrupt())
            return
        if self.health.fps <= 0:  # frames not flowing yet, or their rate not measured
            return
        status = self.health.status()
        if status != run.reported or now - run.stored_at > HEALTH_REFRESH_SECONDS:
            run.reported, run.stored_at = status, now
            self._follow_up(self._sink.status(self.camera_id, status, "", self.health.as_dict()))

    def _follow_up(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._follow_ups.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._follow_ups.discard)

    def _index(self, indexer: _SegmentIndexer, now: float) -> None:
        found = indexer.poll()
        if found:
            for segment in found:
                self.health.recent_bytes.append((now, segment.bytes))
            self._sink.segments(found)

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
        while True:  # a short read means the pipe is drained: usually one read, no EAGAIN
            try:
                chunk = os.read(self._fd, PIPE_READ_BYTES)
            except BlockingIOError:
                break
            chunks.append(chunk)
            if len(chunk) < PIPE_READ_BYTES:
                break
        data = b"".join(chunks)
        complete, _, self._tail = data.rpartition(b"\n")
        at = complete.rfind(b"frame=")  # only the newest report counts
        while at > 0 and complete[at - 1 : at] != b"\n":  # "frame=" inside another key
            at = complete.rfind(b"frame=", 0, at)
        if at < 0:
            return None
        value = complete[at + 6 :].split(b"\n", 1)[0].strip()
        return int(value) if value.isdigit() else None

    def close(self) -> None:
        os.close(self._fd)


class _SegmentIndexer:
    """Reads new lines of ffmpeg's CSV segment list. Times are anchored to the wall clock when
    the first segment appears, so consecutive segments of one run neither overlap nor gap."""

    def __init__(self, camera_id: int, csv_path: Path, folder: Path) -> None:
        self._camera_id, self._csv, self._folder = camera_id, str(csv_path), folder
        self._offset = 0
        self._anchor: datetime | None = None

    def poll(self) -> list[NewSegment]:
        try:
            if os.stat(self._csv).st_size <= self._offset:
                return []  # one stat per poll; the list grows once per segment
            with open(self._csv, "rb") as handle:
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
        try:
            size = os.stat(path).st_size
        except FileNotFoundError:
            return None
        if end <= start:
            return None
        if self._anchor is None:
            self._anchor = datetime.now(UTC) - timedelta(seconds=end)
        return NewSegment(
            camera_id=self._camera_id,
            tier="hot",
            start_at=self._anchor + timedelta(seconds=start),
            end_at=self._anchor + timedelta(seconds=end),
            bytes=size,
            path=str(path),
        )
