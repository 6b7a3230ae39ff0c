"""Archive tier size: keyframes only (stream copy, non-key frames dropped) against the full
segment it came from, in one run.

The source is 60 s of the simulated cameras' main stream settings (640x360, 10 fps, GOP 2 s,
800 kb/s, libx264 as ipycam encodes it) over a moving test pattern; real scenes with more detail
between keyframes save more, static scenes less.

    .venv/bin/python benchmarks/cameras_archive.py
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path

from warroom.cameras.archive import keyframes_only


def full_segment(target: Path) -> None:
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
         "testsrc2=size=640x360:rate=10", "-t", "60", "-c:v", "libx264", "-preset", "ultrafast",
         "-tune", "zerolatency", "-profile:v", "baseline", "-g", "20", "-b:v", "800k",
         "-maxrate", "800k", "-bufsize", "1600k", "-f", "mpegts", "-y", str(target)],
        check=True,
    )  # fmt: skip


def frames(path: Path) -> int:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-show_entries", "stream=nb_read_frames",
         "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return int(out.stdout.split()[0])


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="warroom-archive-"))
    source, archived = work / "full.ts", work / "archive.ts"
    full_segment(source)
    started = time.perf_counter()
    assert keyframes_only("ffmpeg", source, archived)
    seconds = time.perf_counter() - started
    full, small = source.stat().st_size, archived.stat().st_size
    print(
        json.dumps(
            {
                "baseline_full_bytes": full,
                "archive_bytes": small,
                "ratio": round(small / full, 3),
                "reduction_percent": round(100 * (1 - small / full), 1),
                "full_frames": frames(source),
                "archive_frames": frames(archived),
                "rewrite_seconds_per_minute_of_video": round(seconds, 3),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
