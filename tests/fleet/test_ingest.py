"""Trackers through the real listeners into the database: acks only after commit, unknown
devices refused and listed, bad frames resync, out-of-order and duplicate fixes."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from tests.fleet.live_app import (
    BASE_TIME,
    FleetApp,
    connect,
    fleet_config,
    receive_exactly,
    start_fleet_app,
    wait_for,
)
from warroom.core.config import Settings
from warroom.fleet import store
from warroom.fleet.encoders import (
    SimFix,
    gt06_login,
    gt06_position,
    h02_position,
    osmand_query,
    teltonika_avl,
    teltonika_login,
    teltonika_udp,
)
from warroom.fleet.listeners import udp
from warroom.fleet.models import Position
from warroom.fleet.protocols.gt06 import make_reply
from warroom.fleet.writer import _Call

IMEI = "359339071234567"


@pytest.fixture
def fleet(settings: Settings) -> Iterator[FleetApp]:
    yield from start_fleet_app(settings, fleet_config())


MAKASSAR = (-5.1477, 119.4327)


def fix_at(index: int, **changes: object) -> SimFix:
    values: dict[str, object] = {
        "time": BASE_TIME + timedelta(seconds=10 * index),
        "lat": MAKASSAR[0] + index * 0.0005,
        "lon": MAKASSAR[1],
        "speed_kmh": 20.0,
    }
    values.update(changes)
    return SimFix(**values)  # type: ignore[arg-type]


def gt06_session(fleet: FleetApp) -> socket.socket:
    sock = connect(fleet.port("gt06/tcp"))
    sock.sendall(gt06_login(IMEI, 1))
    assert receive_exactly(sock, 10) == make_reply(0x01, b"\x00\x01")
    return sock


def test_gt06_positions_are_acked_once_stored(fleet: FleetApp) -> None:
    device = fleet.register(IMEI, "gt06")["device"]
    with gt06_session(fleet) as sock:
        for serial in range(2, 7):
            sock.sendall(gt06_position(fix_at(serial), serial))
            reply = receive_exactly(sock, 10)
            assert reply == make_reply(0x12, serial.to_bytes(2, "big"))
            assert fleet.stored(device["id"]) == serial - 1  # stored before the ack
    with fleet.db.read() as session:
        row = session.execute(select(Position).order_by(Position.time.desc())).scalars().first()
    assert row is not None and row.vehicle_id == device["vehicle_id"]
    assert row.lat == pytest.approx(fix_at(6).lat, abs=1e-5)


def test_unknown_device_is_refused_and_listed(fleet: FleetApp) -> None:
    with connect(fleet.port("gt06/tcp")) as sock:
        sock.sendall(gt06_login("359339079999999", 1))
        assert sock.recv(100) == b""  # closed without the login ack

    def listed() -> bool:
        response = fleet.client.get("/api/fleet/unknown-devices", headers=fleet.headers)
        return any(row["unique_id"] == "359339079999999" for row in response.json())

    wait_for(listed, "unknown device listed")
    fleet.register("359339079999999", "gt06")
    assert not listed()


def test_an_id_no_device_can_have_is_refused_without_being_listed(fleet: FleetApp) -> None:
    """Not listed for an admin (it could never be registered), and not written: on
    PostgreSQL a 65-character id would fail the commit of every device in its batch."""
    pipeline = fleet.service.pipeline
    assert pipeline is not None
    device = fleet.register(IMEI, "teltonika")["device"]
    with httpx.Client(base_url=f"http://127.0.0.1:{fleet.port('osmand/http')}") as http:
        for bad in ("x" * 65, "phone 1", "bad\u0000id"):
            answer = http.get("/", params={"id": bad, "lat": -5.1, "lon": 119.4, "timestamp": 1})
            assert answer.status_code in (400, 401, 403, 404), answer.text
    with connect(fleet.port("teltonika/tcp")) as sock:
        sock.sendall(teltonika_login(IMEI))
        receive_exactly(sock, 1)
        sock.sendall(teltonika_avl([fix_at(1)]))
        assert receive_exactly(sock, 4) == (1).to_bytes(4, "big")
    assert fleet.stored(device["id"]) == 1
    listed = fleet.client.get("/api/fleet/unknown-devices", headers=fleet.headers).json()
    assert listed == []


def test_teltonika_acks_the_record_count(fleet: FleetApp) -> None:
    device = fleet.register(IMEI, "teltonika")["device"]
    with connect(fleet.port("teltonika/tcp")) as sock:
        sock.sendall(teltonika_login(IMEI))
        assert receive_exactly(sock, 1) == b"\x01"
        sock.sendall(teltonika_avl([fix_at(i) for i in range(3)]))
        assert receive_exactly(sock, 4) == (3).to_bytes(4, "big")
    assert fleet.stored(device["id"]) == 3


def test_teltonika_udp(fleet: FleetApp) -> None:
    device = fleet.register(IMEI, "teltonika")["device"]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(10)
        sock.sendto(
            teltonika_udp(IMEI, [fix_at(0), fix_at(1)], 7),
            ("127.0.0.1", fleet.port("teltonika/udp")),
        )
        reply, _ = sock.recvfrom(100)
    assert reply == bytes.fromhex("0005") + (7).to_bytes(2, "big") + b"\x01\x07\x02"
    assert fleet.stored(device["id"]) == 2


def test_udp_datagrams_past_the_in_flight_bound_are_dropped_unanswered(
    fleet: FleetApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the tracker held, two datagrams wait for their commit and the next three are
    dropped and counted; the two are then stored and answered, the three never."""
    device = fleet.register(IMEI, "teltonika")["device"]
    monkeypatch.setattr(udp, "MAX_IN_FLIGHT", 2)
    labels = {"protocol": "teltonika"}

    def dropped() -> float:
        return REGISTRY.get_sample_value("warroom_fleet_udp_overload_dropped_total", labels) or 0

    before = dropped()
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        held.set()
        release.wait(30)

    pipeline = fleet.service.pipeline
    assert pipeline is not None
    pipeline.writer._call_soon(_Call(hold))  # the tracker thread runs it before any batch
    assert held.wait(10)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(10)
        try:
            for n in range(5):
                sock.sendto(
                    teltonika_udp(IMEI, [fix_at(n)], n), ("127.0.0.1", fleet.port("teltonika/udp"))
                )
            wait_for(lambda: dropped() - before == 3, "three datagrams dropped")
        finally:
            release.set()
        answered = {int.from_bytes(sock.recvfrom(100)[0][2:4], "big") for _ in range(2)}
        sock.settimeout(0.5)
        with pytest.raises(TimeoutError):
            sock.recvfrom(100)
    assert answered == {0, 1}
    assert fleet.stored(device["id"]) == 2


def test_osmand_http(fleet: FleetApp) -> None:
    device = fleet.register("phone-17", "osmand")["device"]
    base = f"http://127.0.0.1:{fleet.port('osmand/http')}"
    with httpx.Client(base_url=base) as http:
        assert http.get(osmand_query("phone-17", fix_at(0))).status_code == 200
        assert http.post(osmand_query("phone-17", fix_at(1))).status_code == 200
        assert http.get(osmand_query("stranger", fix_at(0))).status_code == 403
        location = {
            "timestamp": fix_at(2).time.isoformat(),
            "coords": {"latitude": fix_at(2).lat, "longitude": fix_at(2).lon, "speed": 5.0},
        }
        body = {"device_id": "phone-17", "location": location}  # the current Traccar Client
        assert http.post("/", json=body).status_code == 200
        bad = http.get("/?id=phone-17&lat=91&lon=1&timestamp=1")
        assert bad.status_code == 400 and "latitude" in bad.text
    assert fleet.stored(device["id"]) == 3


def test_garbage_between_frames_only_costs_the_bad_frame(fleet: FleetApp) -> None:
    device = fleet.register(IMEI, "gt06")["device"]
    with gt06_session(fleet) as sock, connect(fleet.port("gt06/tcp")) as other:
        corrupt = bytearray(gt06_position(fix_at(2), 2))
        corrupt[10] ^= 0xFF  # CRC no longer matches
        sock.sendall(b"\x00garbage" + bytes(corrupt) + gt06_position(fix_at(3), 3))
        assert receive_exactly(sock, 10) == make_reply(0x12, b"\x00\x03")
        other.sendall(gt06_login(IMEI, 1))  # another connection is unaffected
        assert receive_exactly(other, 10) == make_reply(0x01, b"\x00\x01")
    assert fleet.stored(device["id"]) == 1


def test_a_resend_after_a_restart_is_not_stored_twice(settings: Settings) -> None:
    """A crash between the commit and the ack leaves fixes stored that the device sends
    again once the server is back: the restarted server still knows them as duplicates."""
    packets = [[fix_at(1), fix_at(2)], [fix_at(0)], [fix_at(3)]]  # the second is late data

    def send_all(fleet: FleetApp) -> None:
        with connect(fleet.port("teltonika/tcp")) as sock:
            sock.sendall(teltonika_login(IMEI))
            receive_exactly(sock, 1)
            for packet in packets:
                sock.sendall(teltonika_avl(packet))
                assert receive_exactly(sock, 4) == len(packet).to_bytes(4, "big")

    for fleet in start_fleet_app(settings, fleet_config()):
        device = fleet.register(IMEI, "teltonika")["device"]
        send_all(fleet)
    for fleet in start_fleet_app(settings, fleet_config()):
        send_all(fleet)  # all of it again, as a device that never saw the acks
        assert fleet.stored(device["id"]) == 4


def test_a_silent_connection_is_closed_but_not_one_waiting_for_its_commit(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate, real = threading.Event(), store.write_batch

    def slow_write_batch(*args: Any, **kwargs: Any) -> None:
        if kwargs["rows"]:  # a batch with fixes waits longer than the idle timeout
            gate.wait(10)
        real(*args, **kwargs)

    for fleet in start_fleet_app(settings, fleet_config(idle_timeout_seconds=0.4)):
        fleet.register(IMEI, "teltonika")
        with connect(fleet.port("teltonika/tcp")) as silent:
            assert silent.recv(1) == b""  # closed after 0.4 s or a little more
        monkeypatch.setattr(store, "write_batch", slow_write_batch)
        with connect(fleet.port("teltonika/tcp")) as sock:
            sock.sendall(teltonika_login(IMEI))
            receive_exactly(sock, 1)
            sock.sendall(teltonika_avl([fix_at(1)]))
            threading.Timer(1.5, gate.set).start()  # the commit takes 1.5 s
            assert receive_exactly(sock, 4) == (1).to_bytes(4, "big")


def test_h02_without_ack_is_stored(fleet: FleetApp) -> None:
    device = fleet.register("4210000001", "h02")["device"]
    with connect(fleet.port("h02/tcp")) as sock:
        sock.sendall(h02_position("4210000001", fix_at(0)) + h02_position("4210000001", fix_at(1)))
        wait_for(lambda: fleet.stored(device["id"]) == 2, "H02 fixes stored")


def test_out_of_order_fixes_are_stored_but_live_never_goes_back(fleet: FleetApp) -> None:
    device = fleet.register(IMEI, "teltonika")["device"]
    with connect(fleet.port("teltonika/tcp")) as sock:
        sock.sendall(teltonika_login(IMEI))
        receive_exactly(sock, 1)
        for batch in ([fix_at(5)], [fix_at(1), fix_at(2)], [fix_at(5)]):  # old data, then a resend
            sock.sendall(teltonika_avl(batch))
            receive_exactly(sock, 4)
    assert fleet.stored(device["id"]) == 3  # the duplicate of fix 5 was dropped
    pipeline = fleet.service.pipeline
    assert pipeline is not None
    latest = pipeline.tracker.devices[device["id"]].latest
    assert latest is not None and latest.time == fix_at(5).time
    start, end = BASE_TIME.isoformat(), (BASE_TIME + timedelta(hours=1)).isoformat()
    replay = fleet.client.get(
        "/api/fleet/replay",
        params={"vehicle_id": device["vehicle_id"], "start": start, "end": end},
        headers=fleet.headers,
    ).json()[str(device["vehicle_id"])]
    assert [p["time"] for p in replay] == sorted(p["time"] for p in replay)


def test_fix_before_login_gets_no_ack(fleet: FleetApp) -> None:
    fleet.register(IMEI, "gt06")
    with connect(fleet.port("gt06/tcp")) as sock:
        sock.sendall(gt06_position(fix_at(1), 9))
        sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            sock.recv(10)
    assert fleet.stored() == 0


def test_auto_registration_when_switched_on(settings: Settings) -> None:
    for fleet in start_fleet_app(settings, fleet_config(auto_register=True)):
        with connect(fleet.port("teltonika/tcp")) as sock:
            sock.sendall(teltonika_login(IMEI))
            assert receive_exactly(sock, 1) == b"\x01"
            sock.sendall(teltonika_avl([fix_at(0)]))
            assert receive_exactly(sock, 4) == (1).to_bytes(4, "big")
        devices = fleet.client.get("/api/fleet/devices", headers=fleet.headers).json()
        assert [(d["unique_id"], d["vehicle_id"]) for d in devices] == [(IMEI, None)]
        assert fleet.stored() == 1


def test_shutdown_with_trackers_connected_is_quiet(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Stopping ends open tracker connections without a traceback per connection."""
    caplog.set_level("ERROR")
    sockets: list[socket.socket] = []
    for fleet in start_fleet_app(settings, fleet_config()):
        fleet.register(IMEI, "gt06")
        sockets = [gt06_session(fleet) for _ in range(3)]  # logged in: being served
    for sock in sockets:
        sock.close()
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == []
