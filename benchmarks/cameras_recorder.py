"""Recorder CPU per camera against bare ``ffmpeg -c copy`` of the same streams, in one run.

N simulated cameras (`warroom cameras simulate`, its own process) each feed two RTSP clients:
warroom's supervised recorder (ffmpeg segment muxer + progress pipe + the Python supervisor that
indexes segments into SQLite and tracks health) and a bare `ffmpeg -rtsp_transport tcp -i URL
-c copy out.ts`. CPU is read from /proc over the same window for both.

    .venv/bin/python benchmarks/cameras_recorder.py [--count 16] [--seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from warroom.cameras.config import CamerasSettings
from warroom.cameras.recorder import Recorder
from warroom.cameras.runtime import DatabaseSink
from warroom.core import migrate
from warroom.core.db import Database

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds (NaN once it is gone: the window is void)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / TICKS


def self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bare_command(url: str, target: Path) -> list[str]:
    """The baseline: plain stream copy of the same stream into one file."""
    return [
        "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-rtsp_transport", "tcp",
        "-timeout", "5000000", "-i", url, "-map", "0:v", "-c", "copy", "-f", "mpegts", "-y",
        str(target),
    ]  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_simulator(count: int, port: int, fps: int) -> tuple[subprocess.Popen[str], list[str]]:
    code = "from warroom.cameras.cli import cameras_app; cameras_app()"
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            code,
            "simulate",
            "--count",
            str(count),
            "--port",
            str(port),
            "--fps",
            str(fps),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    return process, [json.loads(process.stdout.readline())["main"] for _ in range(count)]


async def run(count: int, seconds: float, warmup: float, fps: int) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="warroom-recbench-"))
    db = Database(f"sqlite:///{work / 'bench.db'}")
    migrate.upgrade(db)
    with db.write() as session:  # the recorders index into real camera rows
        from warroom.cameras.models import Camera

        for i in range(1, count + 1):
            session.add(Camera(id=i, name=f"bench-{i}", main_url="rtsp://x", tags=[], health={}))
    simulator, urls = start_simulator(count, free_port(), fps)
    config = CamerasSettings(segment_seconds=10)
    sink = DatabaseSink(db, lambda: None)
    sink.start()
    recorders = [
        Recorder(camera_id=i + 1, url=url, out_dir=work / "rec", config=config, sink=sink)
        for i, url in enumerate(urls)
    ]
    # ipycam's RTSP server accepts a backlog of 5: connect clients a few at a time.
    bare = []
    for i, (url, recorder) in enumerate(zip(urls, recorders, strict=True)):
        recorder.start()
        bare.append(subprocess.Popen(bare_command(url, work / f"bare-{i}.ts")))  # noqa: ASYNC220
        await asyncio.sleep(0.5)
    await asyncio.sleep(warmup)
    restarts_before = sum(r.health.reconnects for r in recorders)
    rec_pids = [r.process.pid for r in recorders if r.process is not None]
    before = (sum(map(cpu_seconds, rec_pids)), self_cpu(), sum(cpu_seconds(p.pid) for p in bare))
    await asyncio.sleep(seconds)
    after = (sum(map(cpu_seconds, rec_pids)), self_cpu(), sum(cpu_seconds(p.pid) for p in bare))
    frames = [r.health.fps for r in recorders]
    restarts = sum(r.health.reconnects for r in recorders) - restarts_before
    alive = sum(p.poll() is None for p in bare)
    for recorder in recorders:
        await recorder.stop()
    await sink.close()
    for process in bare:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
    simulator.send_signal(signal.SIGINT)
    simulator.wait(timeout=20)
    ffmpeg_cpu, supervisor_cpu, bare_cpu = (a - b for a, b in zip(after, before, strict=True))
    per_camera = (ffmpeg_cpu + supervisor_cpu) / count / seconds * 100
    bare_per_camera = bare_cpu / count / seconds * 100
    return {
        "cameras": count,
        "window_seconds": seconds,
        "stream": f"640x360 H.264 {fps} fps, GOP 2 s (simulated, loopback RTSP over TCP)",
        "recorder_cpu_percent_per_camera": round(per_camera, 3),
        "recorder_ffmpeg_cpu_percent_per_camera": round(ffmpeg_cpu / count / seconds * 100, 3),
        "recorder_supervisor_cpu_percent_per_camera": round(
            supervisor_cpu / count / seconds * 100, 3
        ),
        "baseline_bare_ffmpeg_copy_cpu_percent_per_camera": round(bare_per_camera, 3),
        "ratio": round(per_camera / bare_per_camera, 3) if bare_per_camera else None,
        "target_ratio_max": 1.2,
        "recorder_fps_mean": round(sum(frames) / len(frames), 2),
        "valid": restarts == 0 and alive == count,  # else a process died: window is void
        "recorder_restarts_in_window": restarts,
        "bare_processes_alive": alive,
        "cpu_count": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--fps", type=int, default=10, help="frame rate of the simulated cameras")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.count, args.seconds, args.warmup, args.fps)), indent=2))


if __name__ == "__main__":
    main()
