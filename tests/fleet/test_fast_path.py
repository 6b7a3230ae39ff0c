"""The cheap per-record ingest path keeps the behaviour of the plain one: the compiled CRC,
struct-based Teltonika decoding, immutable checked records, geofences tested once per batch,
the shared jump/trip step, multi-row and COPY inserts, the writer thread's calls."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import TEST_ACTOR
from warroom.core.db import Database
from warroom.fleet import events, service, store
from warroom.fleet.config import FleetConfig
from warroom.fleet.directory import DeviceInfo
from warroom.fleet.encoders import SimFix, teltonika_avl
from warroom.fleet.fences import FenceSet
from warroom.fleet.models import Position
from warroom.fleet.protocols import DecodeError, PositionRecord, Session, teltonika
from warroom.fleet.protocols.crc import crc16_arc, crc16_x25
from warroom.fleet.schemas import DeviceCreate
from warroom.fleet.tracker import Outcome, Tracker
from warroom.fleet.writer import GroupCommitWriter
from warroom.geo.geofence import CircleFence, GeofenceIndex

START = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
METERS_PER_DEG_LAT = 111_195.0
INFO = DeviceInfo(1, "dev-1", "teltonika", 1, "DD 1 FP", "bus", None, None)


def _bitwise(poly: int, crc: int, data: bytes) -> int:
    """The definition of a reflected CRC-16, one bit at a time: the reference the compiled
    implementation is held to."""
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
    return crc


def test_crc_matches_the_bitwise_definition_and_the_catalogue_checks() -> None:
    assert crc16_arc(b"123456789") == 0xBB3D and crc16_x25(b"123456789") == 0x906E
    rng = random.Random(4)
    for length in range(0, 80):  # odd and even lengths, the empty message
        data = bytes(rng.randrange(256) for _ in range(length))
        assert crc16_arc(data) == _bitwise(0xA001, 0, data)
        assert crc16_x25(data) == _bitwise(0x8408, 0xFFFF, data) ^ 0xFFFF


def _packet_with_data(data: bytes) -> bytes:
    return bytes(4) + len(data).to_bytes(4, "big") + data + crc16_arc(data).to_bytes(4, "big")


def test_teltonika_record_cut_short_is_a_clear_decode_error() -> None:
    whole = teltonika_avl([SimFix(START, -5.15, 119.43, 30.0, ignition=True)])[8:-4]
    for cut in (3, 10, 27, len(whole) - 2):  # inside the fix, the I/O, before the trailer
        cut_data = whole[:cut] + whole[-1:]
        with pytest.raises(DecodeError, match=r"truncated|count mismatch"):
            teltonika.decode(_packet_with_data(cut_data), Session("1"))


def test_teltonika_trailing_bytes_after_the_data_are_refused() -> None:
    data = teltonika_avl([SimFix(START, -5.15, 119.43, 30.0)])[8:-4]
    with pytest.raises(DecodeError, match="trailing"):
        teltonika.decode(_packet_with_data(data + b"\x00"), Session("1"))


def test_teltonika_fix_keeps_its_time_to_the_millisecond() -> None:
    moment = START + timedelta(milliseconds=123)
    decoded = teltonika.decode(teltonika_avl([SimFix(moment, -5.15, 119.43)]), Session("1"))
    (record,) = decoded.records
    assert isinstance(record, PositionRecord)
    assert record.time == moment
    assert record.attributes == {"priority": 0, "event": 0}


def test_position_records_are_immutable_and_checked() -> None:
    record = PositionRecord("1", START, True, -5.15, 119.43)
    with pytest.raises(AttributeError):
        record.lat = 0.0  # type: ignore[misc]
    assert record.attributes == {} and record._replace(lat=1.0).lat == 1.0
    for bad in (
        {"lat": math.nan},
        {"lon": 181.0},
        {"speed_kmh": math.inf},
        {"course": math.nan},
        {"altitude": -math.inf},
    ):
        values = {"lat": -5.15, "lon": 119.43, "speed_kmh": None} | bad
        with pytest.raises(DecodeError, match=r"range|finite"):
            PositionRecord("1", START, True, **values)  # type: ignore[arg-type]


def _fix(second: float, north_m: float, kmh: float = 30.0) -> PositionRecord:
    return PositionRecord(
        "dev-1",
        START + timedelta(seconds=second),
        True,
        -5.15 + north_m / METERS_PER_DEG_LAT,
        119.43,
        kmh,
    )


def _zone() -> FenceSet:
    center = (-5.15 + 1000 / METERS_PER_DEG_LAT, 119.43)
    return FenceSet(GeofenceIndex([CircleFence("7", center, 100.0)]), {7: "Pasar Terong"})


def test_geofences_of_a_whole_batch_are_tested_together_in_fix_order() -> None:
    tracker = Tracker(FleetConfig(filter_past_days=0))
    tracker.fences = _zone()
    out = Outcome()
    drive = [_fix(s, s * 10.0, 36.0) for s in range(0, 200, 10)]  # through the zone at 1 km
    tracker.accept(INFO, drive, START, out)
    assert not any(isinstance(e, events.GeofenceEntered) for e in out.events)  # not yet
    tracker.finish(out)
    fence_events = [
        e for e in out.events if isinstance(e, events.GeofenceEntered | events.GeofenceExited)
    ]
    assert [type(e) for e in fence_events] == [events.GeofenceEntered, events.GeofenceExited]
    assert fence_events[0].geofence == "Pasar Terong"
    assert tracker.devices[1].fences == frozenset() and out.fence_checks == []


def test_a_device_first_seen_inside_a_fence_raises_no_event() -> None:
    tracker = Tracker(FleetConfig(filter_past_days=0))
    tracker.fences = _zone()
    out = Outcome()
    tracker.accept(INFO, [_fix(0, 1000.0, 0.0)], START, out)
    tracker.finish(out)
    assert tracker.devices[1].fences == {7}
    assert not any(isinstance(e, events.GeofenceEntered) for e in out.events)


def test_an_impossible_jump_is_dropped_until_it_repeats() -> None:
    tracker = Tracker(FleetConfig(filter_past_days=0, filter_max_speed_kmh=300))
    out = Outcome()
    far = [_fix(10 + s, 50_000.0 + s) for s in range(3)]  # 50 km in 10 s, three times
    tracker.accept(INFO, [_fix(0, 0.0), *far], START, out)
    assert out.dropped == {"jump": 2}
    assert [row[2] for row in out.rows] == [START, far[2].time]
    assert tracker.devices[1].latest == far[2]


def test_sqlite_multi_row_inserts_and_postgres_copy_store_every_row(db: Database) -> None:

    with db.write() as session:
        device = service.create_device(
            session, data=DeviceCreate(unique_id="dev-1", protocol="osmand"), actor=TEST_ACTOR
        ).id
    count = store.SQLITE_CHUNK_ROWS[0] + 73  # 585 rows: chunks of every size
    rows: list[store.PositionRow] = [
        (device, None, START + timedelta(seconds=i), START, i % 2 == 0, -5.15, 119.43,
         float(i), None, None, 9, {"n": i, "ignition": i % 3 == 0})
        for i in range(count)
    ]  # fmt: skip
    with db.write() as session:
        store.insert_positions(session, rows)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Position)) == count
        last = session.execute(select(Position).where(Position.speed_kmh == count - 1)).scalar_one()
    assert last.time == START + timedelta(seconds=count - 1) and last.valid is (count % 2 == 1)
    assert last.attributes == {"n": count - 1, "ignition": (count - 1) % 3 == 0}


def test_batches_of_every_size_share_four_insert_statements() -> None:
    """The driver keeps each statement text prepared for good, per connection: a shape per
    batch size would grow the server's memory with every new size (0.6 MB for 512 rows)."""
    shapes: set[int] = set()
    for rows in range(1, 5_001):
        chunks = store._sqlite_chunks(rows)
        assert sum(chunks) == rows
        shapes.update(chunks)
    assert len(shapes) == 4 and max(shapes) <= 512


async def test_the_writer_thread_runs_calls_and_reports_their_errors(db: Database) -> None:
    config = FleetConfig(filter_past_days=0)
    writer = GroupCommitWriter(db, Tracker(config), config, lambda live: None)
    await writer.start()
    try:
        import threading

        assert (
            await writer.run_in_writer(threading.current_thread) is not threading.current_thread()
        )
        with pytest.raises(ZeroDivisionError):
            await writer.run_in_writer(lambda: 1 / 0)
    finally:
        await writer.stop()
    assert not writer.running
