"""Recorder CPU per camera against bare ``ffmpeg -c copy`` of the same streams, in one run.

N simulated cameras (`warroom cameras simulate --looped`, its own process: a clip replayed by
stream copy, so the machine is not busy encoding) each feed three RTSP clients at once:

- warroom's recorder: the supervised ffmpeg (segment muxer, CSV segment list, progress pipe) plus
  the Python supervisor (this process: indexes segments into SQLite, health, watchdog);
- baseline "segments": bare `ffmpeg -c copy -f segment` of the same stream into 10 s MPEG-TS
  segments, the same input options and the same kind of output the recorder writes;
- baseline "file": bare `ffmpeg -c copy` of the same stream into one MPEG-TS file.

All three run during the same windows, so load from other jobs hits them alike. CPU is read in
nanoseconds from /proc/PID/task/*/schedstat (ffmpeg) and getrusage (this process, all threads).
The measured time is cut into ``--rounds`` windows; each window gives a ratio, and the spread of
those is reported next to the ratio over the whole time.

    .venv/bin/python benchmarks/cameras_recorder.py [--count 16] [--seconds 60] [--rounds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from warroom.cameras.config import CamerasSettings
from warroom.cameras.recorder import PROGRESS_SECONDS, Recorder
from warroom.cameras.runtime import DatabaseSink
from warroom.cameras.watchclock import WatchClock
from warroom.core import migrate
from warroom.core.db import Database

SEGMENT_SECONDS = 10
INPUT_OPTIONS = ["-rtsp_transport", "tcp", "-timeout", "5000000"]  # what the recorder gives


def cpu_seconds(pid: int) -> float:
    """CPU time of all threads of a process (NaN once it is gone: the window is void)."""
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
        return sum(int((t / "schedstat").read_text().split()[0]) for t in tasks) / 1e9
    except (FileNotFoundError, ProcessLookupError):
        return float("nan")


def self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bare_command(url: str, output: list[str]) -> list[str]:
    return [
        "ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", *INPUT_OPTIONS,
        "-i", url, "-map", "0:v", "-c", "copy", *output,
    ]  # fmt: skip


def bare_file(url: str, folder: Path, i: int) -> list[str]:
    """Baseline: plain stream copy of the same stream into one MPEG-TS file."""
    return bare_command(url, ["-f", "mpegts", "-y", str(folder / f"file-{i}.ts")])


def bare_segments(url: str, folder: Path, i: int) -> list[str]:
    """Baseline: plain stream copy into segments of the recorder's length and format."""
    return bare_command(
        url,
        [
            "-f", "segment", "-segment_time", str(SEGMENT_SECONDS), "-segment_format", "mpegts",
            "-reset_timestamps", "1", str(folder / f"seg-{i}-%06d.ts"),
        ],
    )  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_simulator(count: int, port: int, fps: int) -> tuple[subprocess.Popen[str], list[str]]:
    code = "from warroom.cameras.cli import cameras_app; cameras_app()"
    process = subprocess.Popen(
        [
            sys.executable, "-c", code, "simulate", "--count", str(count), "--port", str(port),
            "--fps", str(fps), "--looped",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    assert process.stdout is not None
    return process, [json.loads(process.stdout.readline())["main"] for _ in range(count)]


def add_cameras(db: Database, count: int) -> None:
    from warroom.cameras.models import Camera

    with db.write() as session:  # the recorders index into real camera rows
        for i in range(1, count + 1):
            session.add(Camera(id=i, name=f"bench-{i}", main_url="rtsp://x", tags=[], health={}))


def sample(
    recorders: list[Recorder], baselines: dict[str, list[subprocess.Popen[bytes]]]
) -> tuple[dict[str, float], float]:
    """CPU readings now, and this process's CPU once reading /proc is done: the window of the
    next sample starts there, so the benchmark's own bookkeeping is not billed to the recorder."""
    supervisor = self_cpu()
    pids = [r.process.pid for r in recorders if r.process is not None]
    reading = {"ffmpeg": sum(map(cpu_seconds, pids)), "supervisor": supervisor}
    for name, processes in baselines.items():
        reading[name] = sum(cpu_seconds(p.pid) for p in processes)
    return reading, self_cpu()


def window_figures(
    before: dict[str, float], after: dict[str, float], count: int, seconds: float
) -> dict[str, float]:
    """Per camera, percent of one core."""
    return {k: (after[k] - before[k]) / count / seconds * 100 for k in before}


async def measure(
    recorders: list[Recorder],
    baselines: dict[str, list[subprocess.Popen[bytes]]],
    count: int,
    seconds: float,
    rounds: int,
) -> list[dict[str, float]]:
    windows = []
    reading, supervisor_after = sample(recorders, baselines)
    for _ in range(rounds):
        await asyncio.sleep(seconds / rounds)
        later, after = sample(recorders, baselines)
        start = {**reading, "supervisor": supervisor_after}
        windows.append(window_figures(start, later, count, seconds / rounds))
        reading, supervisor_after = later, after
    return windows


def summary(windows: list[dict[str, float]], count: int, fps: int) -> dict[str, Any]:
    def total(key: str) -> float:
        return statistics.fmean(w[key] for w in windows)

    def ratios(base: str) -> list[float]:
        return [(w["ffmpeg"] + w["supervisor"]) / w[base] for w in windows]

    recorder = total("ffmpeg") + total("supervisor")
    return {
        "cameras": count,
        "stream": f"640x360 H.264 {fps} fps, GOP 2 s (simulated clip replayed, RTSP over TCP)",
        "recorder_cpu_percent_per_camera": round(recorder, 4),
        "recorder_ffmpeg_cpu_percent_per_camera": round(total("ffmpeg"), 4),
        "recorder_supervisor_cpu_percent_per_camera": round(total("supervisor"), 4),
        "baseline_bare_segments_cpu_percent_per_camera": round(total("segments"), 4),
        "baseline_bare_file_cpu_percent_per_camera": round(total("file"), 4),
        "ratio_vs_bare_segments": round(recorder / total("segments"), 3),
        "ratio_vs_bare_file": round(recorder / total("file"), 3),
        "window_ratios_vs_segments": [round(r, 3) for r in ratios("segments")],
        "window_ratios_vs_file": [round(r, 3) for r in ratios("file")],
        "target_ratio_max": 1.2,
    }


async def run(count: int, seconds: float, warmup: float, fps: int, rounds: int) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="warroom-recbench-"))
    db = Database(f"sqlite:///{work / 'bench.db'}")
    migrate.upgrade(db)
    add_cameras(db, count)
    simulator, urls = start_simulator(count, free_port(), fps)
    sink = DatabaseSink(db, lambda: None)
    sink.start()
    config = CamerasSettings(segment_seconds=SEGMENT_SECONDS)
    clock = WatchClock(PROGRESS_SECONDS)  # shared, as in the cameras runtime
    recorders = [
        Recorder(
            camera_id=i + 1, url=url, out_dir=work / "rec", config=config, sink=sink, clock=clock
        )
        for i, url in enumerate(urls)
    ]
    baselines: dict[str, list[subprocess.Popen[bytes]]] = {"segments": [], "file": []}
    # ipycam's RTSP server accepts a backlog of 5: connect clients a few at a time.
    for i, (url, recorder) in enumerate(zip(urls, recorders, strict=True)):
        recorder.start()
        for name, command in (("segments", bare_segments), ("file", bare_file)):
            baselines[name].append(subprocess.Popen(command(url, work, i)))  # noqa: ASYNC220
        await asyncio.sleep(0.6)
    await asyncio.sleep(warmup)
    restarts_before = sum(r.health.reconnects for r in recorders)
    windows = await measure(recorders, baselines, count, seconds, rounds)
    restarts = sum(r.health.reconnects for r in recorders) - restarts_before
    alive = sum(p.poll() is None for group in baselines.values() for p in group)
    fps_mean = statistics.fmean(r.health.fps for r in recorders)
    for recorder in recorders:
        await recorder.stop()
    await sink.close()
    for process in (p for group in baselines.values() for p in group):
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
    simulator.send_signal(signal.SIGINT)
    simulator.wait(timeout=30)
    return {
        **summary(windows, count, fps),
        "window_seconds": seconds,
        "recorder_fps_mean": round(fps_mean, 2),
        "valid": restarts == 0 and alive == 2 * count,  # else a process died: window is void
        "recorder_restarts_in_window": restarts,
        "bare_processes_alive": alive,
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        "cpu_count": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rounds", type=int, default=4, help="windows the time is cut into")
    parser.add_argument("--warmup", type=float, default=20, help="after the last client connected")
    parser.add_argument("--fps", type=int, default=10, help="frame rate of the simulated cameras")
    args = parser.parse_args()
    result = asyncio.run(run(args.count, args.seconds, args.warmup, args.fps, args.rounds))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
