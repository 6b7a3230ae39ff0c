"""The simulator drives vehicles on the road network and reports through the real protocols:
inside the app (demo) and as `warroom fleet simulate` against a running server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.conftest import TEST_SECRET
from tests.fleet.live_app import FleetApp, fleet_config, start_fleet_app, wait_for
from warroom.core.config import Settings
from warroom.fleet.models import Device, Position
from warroom.fleet.simulate_cli import register_simulate
from warroom.fleet.simulator import Route


def protocols_reporting(fleet: FleetApp) -> set[str]:
    with fleet.db.read() as session:
        query = (
            select(Device.protocol)
            .join(Position, Position.device_id == Device.id)
            .group_by(Device.protocol)
            .having(func.count() > 1)
        )
        return set(session.scalars(query))


def test_route_interpolates_along_its_points() -> None:
    route = Route.through([(-5.15, 119.43), (-5.14, 119.43), (-5.14, 119.44)])
    lat, lon, course = route.at(route.cumulative_m[1] / 2)
    assert lat == pytest.approx(-5.145, abs=1e-6) and lon == 119.43 and round(course) == 0
    assert route.at(route.length_m * 2)[:2] == (-5.14, 119.44)


@pytest.fixture
def simulated(settings: Settings) -> Iterator[FleetApp]:
    config = fleet_config(simulate_vehicles=8, simulate_interval_seconds=0.3)
    yield from start_fleet_app(settings, config)


@pytest.mark.slow
def test_demo_city_is_alive(simulated: FleetApp) -> None:
    wait_for(
        lambda: protocols_reporting(simulated) == {"osmand", "gt06", "teltonika", "h02"},
        "every protocol of the mix stored positions",
        timeout=60,
    )
    live = simulated.client.get("/api/fleet/live", headers=simulated.headers).json()
    assert len(live) == 8 and all(row["plate"].endswith("SIM") for row in live)


@pytest.mark.slow
def test_simulate_command_against_a_running_server(
    settings: Settings, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for fleet in start_fleet_app(settings, fleet_config()):
        ports = ",".join(
            f"{name}:{fleet.port(f'{name}/{transport}')}"
            for name, transport in (
                ("osmand", "http"),
                ("gt06", "tcp"),
                ("teltonika", "tcp"),
                ("h02", "tcp"),
            )
        )
        monkeypatch.setenv("WARROOM_FLEET_LISTENERS", ports)
        monkeypatch.setenv("WARROOM_DATABASE_URL", db_url)
        monkeypatch.setenv("WARROOM_SECRET_KEY", TEST_SECRET)
        cli = typer.Typer()
        register_simulate(cli)
        cli.command("noop")(lambda: None)  # a group, so the command is named as in warroom
        result = CliRunner().invoke(
            cli, ["simulate", "--vehicles", "4", "--interval", "0.3", "--duration", "10"]
        )
        assert result.exit_code == 0, result.output
        assert "registered 4 simulated vehicles" in result.output
        assert protocols_reporting(fleet) == {"osmand", "gt06", "teltonika", "h02"}
