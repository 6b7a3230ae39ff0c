"""`warroom fleet simulate`: drive simulated vehicles against a running warroom.

The command function is registered on the fleet CLI with `register_simulate(fleet_app)`.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Annotated

import typer

from warroom.core.config import ConfigError, load_settings
from warroom.core.db import Database
from warroom.fleet.config import FleetConfig
from warroom.fleet.protocols import PROTOCOLS
from warroom.models import import_all_models

if TYPE_CHECKING:
    from warroom.fleet.simulator import Simulator


def simulate(
    vehicles: Annotated[int, typer.Option("--vehicles", min=1, max=20_000, help="How many.")] = 20,
    host: Annotated[str, typer.Option(help="Address of the warroom tracker listeners.")] = (
        "127.0.0.1"
    ),
    interval: Annotated[float, typer.Option(min=0.2, help="Seconds between reports.")] = 5.0,
    duration: Annotated[
        float, typer.Option(min=0, help="Stop after this many seconds (0: never).")
    ] = 0,
    register: Annotated[bool, typer.Option(help="Register the simulated vehicles first.")] = True,
    demo: Annotated[bool, typer.Option(help="Use the demo settings (as `warroom demo`).")] = False,
) -> None:
    """Drive simulated vehicles on the road network, reporting over OsmAnd, GT06, Teltonika
    and H02 to the listeners (ports from WARROOM_FLEET_LISTENERS, else the defaults)."""
    # Imported here, not at the top: every `warroom` command (serve included) loads this
    # module, and the road network stack costs about 1.5 s to import.
    from warroom.fleet.simulator import PROTOCOL_MIX, Simulator, ensure_registered, make_vehicles
    from warroom.geo.network import get_router

    try:
        settings = load_settings(demo=demo) if demo else load_settings()
        ports = FleetConfig().listener_ports()
    except (ConfigError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    endpoints = {name: (host, ports.get(name, PROTOCOLS[name].port)) for name in PROTOCOL_MIX}
    router = get_router()
    fleet = make_vehicles(router, vehicles)
    if register:
        import_all_models()  # the fleet tables refer to other domains' (agencies)
        db = Database(settings.resolved_database_url)
        added = ensure_registered(db, fleet)
        db.dispose()
        typer.echo(f"registered {added} simulated vehicles", err=True)
    simulator = Simulator(router, fleet, endpoints, interval)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run(simulator, duration))
    typer.echo(f"sent {simulator.sent} reports", err=True)


async def _run(simulator: Simulator, duration: float) -> None:
    task = asyncio.create_task(simulator.run())
    if duration:
        await asyncio.sleep(duration)
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def register_simulate(fleet_app: typer.Typer) -> None:
    fleet_app.command("simulate")(simulate)
