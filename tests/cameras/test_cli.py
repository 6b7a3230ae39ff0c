"""``warroom cameras simulate``: real RTSP cameras on loopback; clear errors, no tracebacks."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys

import pytest

from tests.cameras.conftest import free_port

SIMULATE = [sys.executable, "-c", "from warroom.cameras.cli import cameras_app; cameras_app()"]


@pytest.mark.slow
def test_simulate_serves_rtsp_until_interrupted() -> None:
    port = free_port()
    process = subprocess.Popen(
        [*SIMULATE, "simulate", "--count", "2", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        cameras = [json.loads(process.stdout.readline()) for _ in range(2)]
        assert [c["name"] for c in cameras] == ["SIM-01", "SIM-02"]
        probe = subprocess.run(
            ["ffprobe", "-v", "error", "-rtsp_transport", "tcp", "-show_entries",
             "stream=codec_name,width", "-of", "csv=p=0", cameras[1]["sub"]],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        assert probe.stdout.strip() == "h264,320", probe.stderr
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0


def test_simulate_bad_input_is_one_line() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        for args in (["--count", "0"], ["--port", str(port), "--seconds", "1"]):
            result = subprocess.run(
                [*SIMULATE, "simulate", *args], capture_output=True, text=True, timeout=60
            )
            assert result.returncode == 2, result.stderr
            assert result.stderr.startswith("error:") and "Traceback" not in result.stderr
