"""A running warroom app with fleet listeners on free ports, and helpers to talk to it."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import bearer, create_account
from warroom.core.config import Settings
from warroom.core.db import Database
from warroom.core.security.permissions import Role
from warroom.fleet.config import FleetConfig
from warroom.fleet.models import Position
from warroom.fleet.runtime import FleetService
from warroom.web.app import create_app

LISTENERS = "osmand:0,gt06:0,teltonika:0,h02:0,gps103:0"
BASE_TIME = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)


@dataclass
class FleetApp:
    client: TestClient
    db: Database
    headers: dict[str, str]

    @property
    def service(self) -> FleetService:
        service: FleetService = self.client.app.state.fleet  # type: ignore[attr-defined]
        return service

    def port(self, key: str) -> int:
        return self.service.port(key)

    def register(self, unique_id: str, protocol: str, **vehicle: Any) -> dict[str, Any]:
        """A vehicle with one device; waits until the listeners know the device."""
        body = {"plate": f"DD {abs(hash(unique_id)) % 9000 + 1000} XY", "kind": "ambulance"}
        body.update(vehicle)
        created = self.client.post("/api/fleet/vehicles", json=body, headers=self.headers)
        assert created.status_code == 201, created.text
        device = self.client.post(
            "/api/fleet/devices",
            json={"unique_id": unique_id, "protocol": protocol, "vehicle_id": created.json()["id"]},
            headers=self.headers,
        )
        assert device.status_code == 201, device.text
        pipeline = self.service.pipeline
        assert pipeline is not None
        wait_for(lambda: pipeline.lookup(unique_id) is not None, "device known to listeners")
        return {"vehicle": created.json(), "device": device.json()}

    def stored(self, device_id: int | None = None) -> int:
        with self.db.read() as session:
            query = select(func.count()).select_from(Position)
            if device_id is not None:
                query = query.where(Position.device_id == device_id)
            return int(session.scalar(query) or 0)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for: {what}")


def fleet_config(**overrides: Any) -> FleetConfig:
    values: dict[str, Any] = {
        "listeners": LISTENERS,
        "bind_host": "127.0.0.1",
        "batch_max_ms": 5.0,
        "filter_past_days": 0,
        "idle_timeout_seconds": 30,
    }
    values.update(overrides)
    return FleetConfig(**values)


def start_fleet_app(settings: Settings, config: FleetConfig) -> Iterator[FleetApp]:
    app = create_app(settings)
    app.state.fleet_config = config
    with TestClient(app, base_url="http://testserver") as client:
        db: Database = app.state.db
        headers = bearer(client, create_account(db, Role.ADMIN))
        yield FleetApp(client, db, headers)


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.settimeout(10)
    return sock


def receive_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise AssertionError(f"connection closed after {len(data)} of {size} bytes")
        data += chunk
    return data


def moments(count: int, step_s: float = 10.0) -> list[datetime]:
    return [BASE_TIME + timedelta(seconds=i * step_s) for i in range(count)]
