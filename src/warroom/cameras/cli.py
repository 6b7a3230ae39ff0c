"""``warroom cameras``: simulated cameras and retention from the command line."""

from __future__ import annotations

import json
import signal
import threading
from typing import Annotated, NoReturn

import typer

from warroom.core.errors import DomainError

cameras_app = typer.Typer(
    help="CCTV: simulated cameras, recordings, retention.", no_args_is_help=True
)


@cameras_app.callback()
def _group() -> None:
    """CCTV: simulated cameras, recordings, retention."""


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


@cameras_app.command("simulate")
def simulate(
    count: Annotated[int, typer.Option("--count", help="How many cameras (1-64).")] = 4,
    port: Annotated[int, typer.Option(help="Loopback RTSP port.")] = 8654,
    fps: Annotated[int, typer.Option(help="Frames per second (1-30).", min=1, max=30)] = 10,
    looped: Annotated[
        bool,
        typer.Option(
            "--looped",
            help="Replay a clip encoded once by stream copy (cheap: for many cameras).",
        ),
    ] = False,
    seconds: Annotated[
        float, typer.Option(help="Stop after this many seconds (0: until Ctrl-C).", min=0)
    ] = 0,
) -> None:
    """Serve N test cameras over a real RTSP server on 127.0.0.1 (main and sub streams)."""
    from warroom.cameras.simulator import CameraSimulator

    try:
        simulator = CameraSimulator(count=count, port=port, fps=fps, looped=looped)
        simulator.start()
    except DomainError as exc:
        _fail(exc.message)
    done = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: done.set())
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    for camera in simulator.cameras:
        typer.echo(
            json.dumps({"name": camera.name, "main": camera.main_url, "sub": camera.sub_url})
        )
    typer.echo(f"serving {count} cameras on rtsp://127.0.0.1:{port}/ ; Ctrl-C stops", err=True)
    done.wait(seconds or None)
    simulator.stop()
