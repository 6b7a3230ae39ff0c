"""Killing the server (SIGKILL) during ingest loses no acknowledged position.

Runs the real `python -m warroom serve` with a Teltonika listener, streams AVL packets over
several connections, records which were acknowledged, kills the process mid-stream, then
checks the database has every acknowledged fix.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import TEST_ACTOR, TEST_SECRET
from tests.fleet.live_app import BASE_TIME, receive_exactly, wait_for
from tests.services import port_open
from warroom.core.db import Database
from warroom.fleet import service
from warroom.fleet.encoders import SimFix, teltonika_avl, teltonika_login
from warroom.fleet.models import Device, Position
from warroom.fleet.schemas import DeviceCreate, VehicleCreate

DEVICES = 4
PER_PACKET = 5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def register(db: Database) -> list[str]:
    imeis = [f"35933907{n:07d}" for n in range(DEVICES)]
    with db.write() as session:
        for n, imei in enumerate(imeis):
            vehicle = service.create_vehicle(
                session, data=VehicleCreate(plate=f"DD {n + 100} KL", kind="bus"), actor=TEST_ACTOR
            )
            service.create_device(
                session,
                data=DeviceCreate(unique_id=imei, protocol="teltonika", vehicle_id=vehicle.id),
                actor=TEST_ACTOR,
            )
    return imeis


class Tracker(threading.Thread):
    """One device streaming packets until the server goes away; remembers what was acked."""

    def __init__(self, imei: str, port: int, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.imei, self.port, self.stop = imei, port, stop
        self.acked: list[float] = []  # fix times (epoch seconds)

    def run(self) -> None:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
                sock.sendall(teltonika_login(self.imei))
                receive_exactly(sock, 1)
                packet = 0
                while not self.stop.is_set():
                    fixes = [self._fix(packet * PER_PACKET + i) for i in range(PER_PACKET)]
                    sock.sendall(teltonika_avl(fixes))
                    if receive_exactly(sock, 4) != PER_PACKET.to_bytes(4, "big"):
                        return
                    self.acked.extend(f.time.timestamp() for f in fixes)
                    packet += 1
        except (OSError, AssertionError):
            return  # the server was killed

    @staticmethod
    def _fix(n: int) -> SimFix:
        return SimFix(BASE_TIME + timedelta(seconds=n), -5.15 + n * 1e-5, 119.43, 30.0)


@pytest.mark.slow
def test_sigkill_loses_no_acknowledged_position(db_url: str, tmp_path: Path) -> None:
    db = Database(db_url)
    imeis = register(db)
    web_port, tracker_port = free_port(), free_port()
    env = {
        **os.environ,
        "WARROOM_SECRET_KEY": TEST_SECRET,
        "WARROOM_DATABASE_URL": db_url,
        "WARROOM_DATA_DIR": str(tmp_path),
        "WARROOM_PORT": str(web_port),
        "WARROOM_FLEET_LISTENERS": f"teltonika:{tracker_port}",
        "WARROOM_FLEET_BIND_HOST": "127.0.0.1",
        "WARROOM_FLEET_FILTER_PAST_DAYS": "0",
        "WARROOM_FLEET_UDP": "false",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "warroom", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(lambda: port_open("127.0.0.1", tracker_port), "listener up", timeout=30)
        stop = threading.Event()
        trackers = [Tracker(imei, tracker_port, stop) for imei in imeis]
        for tracker in trackers:
            tracker.start()
        wait_for(lambda: sum(len(t.acked) for t in trackers) >= 2000, "ingest running", 60)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        stop.set()
        for tracker in trackers:
            tracker.join(timeout=10)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    with db.read() as session:
        rows = session.execute(select(Position.device_id, Position.time)).all()
        device_ids = dict(session.execute(select(Device.unique_id, Device.id)).all())
    db.dispose()
    stored = {(device, moment.timestamp()) for device, moment in rows}
    acked = {(device_ids[t.imei], moment) for t in trackers for moment in t.acked}
    assert len(acked) >= 2000
    missing = acked - stored
    assert not missing, f"{len(missing)} acknowledged positions lost"
