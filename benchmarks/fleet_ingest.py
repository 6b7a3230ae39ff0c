"""Benchmark: end-to-end tracker ingest (decode + filter + durable group commit + live publish)
against the raw insert rate of the same rows into the same database, measured in one run.

    python benchmarks/fleet_ingest.py [--database sqlite|postgresql+psycopg://...]
        [--devices 400] [--per-packet 10] [--seconds 20] [--protocol teltonika|gt06]

The server side runs in this process as in `warroom serve` (fleet pipeline, TCP listener,
in-memory bus with a live-map subscriber, the interpreter settled as after start-up);
simulated trackers run in a separate process and send a packet, wait for its ack (sent only
after the commit), and send the next. Both sides run on uvloop when it is installed, as
`warroom serve` does. Teltonika devices send `--per-packet` buffered records per packet (FMB
default: a record a second, a packet every few seconds); GT06 sends one fix per frame.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import multiprocessing
import os
import statistics
import tempfile
import time
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar, cast

from fleet_common import START, fix, imei, register_trackers
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from warroom.core import migrate, serving
from warroom.core.bus.events import Event
from warroom.core.bus.memory import InMemoryBus
from warroom.core.db import Database
from warroom.fleet import store
from warroom.fleet.config import FleetConfig
from warroom.fleet.encoders import (
    gt06_login,
    gt06_position,
    teltonika_avl,
    teltonika_login,
)
from warroom.fleet.listeners.tcp import TcpListener
from warroom.fleet.models import Position
from warroom.fleet.pipeline import Pipeline
from warroom.fleet.protocols import PROTOCOLS
from warroom.fleet.store import COLUMN_LIST, PG_INSERT, SQLITE_INSERT, PositionRow

T = TypeVar("T")


def prepare(url: str, devices: int, protocol: str) -> Database:
    db = Database(url)
    migrate.upgrade(db)
    with db.write() as session:
        register_trackers(session, devices, protocol=protocol, tag="BX")
    return db


class _Tracker(asyncio.Protocol):
    """One simulated tracker: log in, then send the next packet as soon as the last one is
    acknowledged. Packets are encoded before the run and the socket is a protocol, not a
    stream: the load generator shares the two cores with the server, so its CPU per packet
    is kept low (0.06 of a core at 40k positions/s, from 0.21 for streams and encoding)."""

    def __init__(
        self, login: bytes, ack_size: int, packets: list[bytes], per_packet: int, until: float
    ) -> None:
        self.login, self.ack_size, self.per_packet, self.until = login, ack_size, per_packet, until
        self.packets, self.sent, self.acked = packets, 0, 0
        self.pending = 0  # bytes of the current ack still expected
        self.transport: asyncio.Transport | None = None
        self.done = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.transport.write(self.login)
        self.pending = 1 if self.ack_size == 4 else 10  # Teltonika's 01, GT06's login reply

    def data_received(self, data: bytes) -> None:
        self.pending -= len(data)
        if self.pending > 0:
            return
        if self.sent:
            self.acked += self.per_packet
        if self.sent == len(self.packets) or time.time() > self.until:
            if self.transport is not None:
                self.transport.close()
            return
        assert self.transport is not None
        self.transport.write(self.packets[self.sent])
        self.sent += 1
        self.pending = self.ack_size

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)


def _packets(protocol: str, n: int, per_packet: int, count: int) -> tuple[bytes, int, list[bytes]]:
    """Device `n`'s login, its ack size, and `count` packets of consecutive fixes."""
    if protocol == "teltonika":
        packets = [
            teltonika_avl([fix(n, p * per_packet + i) for i in range(per_packet)])
            for p in range(count)
        ]
        return teltonika_login(imei(n)), 4, packets
    return gt06_login(imei(n), 1), 10, [gt06_position(fix(n, p), p % 65536) for p in range(count)]


def client_process(
    port: int, protocol: str, devices: range, per_packet: int, until: float, out: Any
) -> None:
    # Enough packets for 60,000 positions/s over the run; a tracker that runs out stops early
    # (and the run reports fewer acks than it could have had).
    count = max(1, int(60_000 * (until - time.time()) / len(devices) / per_packet))
    encoded = [_packets(protocol, n, per_packet, count) for n in devices]

    async def main() -> None:
        loop, started, cpu = asyncio.get_running_loop(), time.time(), time.process_time()
        trackers = []
        for login, ack_size, packets in encoded:
            tracker = _Tracker(login, ack_size, packets, per_packet, until)
            await loop.create_connection(lambda t=tracker: t, "127.0.0.1", port)
            trackers.append(tracker)
        await asyncio.gather(*(tracker.done for tracker in trackers))
        acked = sum(tracker.acked for tracker in trackers)
        out.put((acked, (time.process_time() - cpu) / (time.time() - started)))

    _run(main())


def _run(main: Coroutine[Any, Any, T]) -> T:
    """Run on uvloop when it is installed, as `warroom serve` does (uvicorn picks it)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


async def run_server(db: Database, args: argparse.Namespace) -> dict[str, Any]:
    bus = InMemoryBus()
    await bus.start()
    live_positions = [0]

    async def on_live(event: Event) -> None:
        live_positions[0] += len(getattr(event, "positions", []))

    await bus.subscribe(on_live, topics=["fleet.positions_updated"])
    config = FleetConfig(filter_past_days=0, batch_max_ms=args.batch_ms)
    pipeline = Pipeline(db, bus, config)
    await pipeline.start()
    interpreter = serving.settle_for_serving()  # as `warroom serve` does after start-up
    listener = TcpListener(
        PROTOCOLS[args.protocol], pipeline, host="127.0.0.1", port=0, idle_timeout=60
    )
    await listener.start()
    warmup = 3.0
    until = time.time() + warmup + args.seconds
    queue: Any = multiprocessing.Queue()
    proc = multiprocessing.Process(
        target=client_process,
        args=(listener.port, args.protocol, range(args.devices), args.per_packet, until, queue),
    )
    proc.start()
    await asyncio.sleep(warmup)
    stored_before, cpu_before, t0 = _stored(db), time.process_time(), time.perf_counter()
    first_id = _last_id(db)
    await asyncio.sleep(args.seconds)
    elapsed = time.perf_counter() - t0
    stored_after, cpu = _stored(db), time.process_time() - cpu_before
    report = functools.partial(queue.get, timeout=args.seconds + 60)  # fails, never hangs
    acked, client_cpu = await asyncio.get_running_loop().run_in_executor(None, report)
    proc.join()
    await listener.stop()
    await pipeline.stop()
    await bus.close()
    serving.restore(interpreter)
    return {
        "positions_per_s": round((stored_after - stored_before) / elapsed),
        "positions_acked_total": acked,
        "server_cpu_share": round(cpu / elapsed, 2),
        "client_cpu_share": round(client_cpu, 2),  # the simulated trackers' process
        "live_positions_published": live_positions[0],
        "first_id_of_window": first_id,
    }


def _stored(db: Database) -> int:
    from sqlalchemy import func, select

    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(Position)) or 0)


def _last_id(db: Database) -> int:
    from sqlalchemy import func, select

    with db.read() as session:
        return int(session.scalar(select(func.max(Position.id))) or 0)


def reinsert_rates(db: Database, after_id: int, rows: int, batch: int, rounds: int) -> list[float]:
    """The baseline the figure is held to: the rows the ingest itself stored in the measured
    window, in the order it stored them (many trackers interleaved), deleted and inserted
    again straight through the DB-API driver, `batch` rows a commit, into the same table;
    `rounds` times. Before each timed insert SQLite's WAL is checkpointed, so an insert does
    not pay for copying the delete's pages (that made single rounds swing by 30 %)."""
    stored = select(*(Position.__table__.c[name] for name in COLUMN_LIST.split(", ")))
    window = stored.where(Position.id > after_id).order_by(Position.id).limit(rows)
    with db.read() as session:  # as stored: the driver's values, no type processing
        data = [tuple(row) for row in session.connection().exec_driver_sql(*_compiled(db, window))]
    if not data:
        raise SystemExit("nothing was stored in the measured window")
    if db.is_sqlite:  # fetched as stored: text times, JSON text
        sql = SQLITE_INSERT
    else:  # the driver hands JSON back decoded
        sql, data = PG_INSERT, [(*row[:11], json.dumps(row[11])) for row in data]
    rates, first = [], after_id + 1  # the first id of the rows to delete and insert
    for _ in range(rounds):
        _delete_ids(db, first, first + len(data))
        started = time.perf_counter()
        for i in range(0, len(data), batch):
            with db.write() as session:
                _insert_as_the_writer(db, session, sql, data[i : i + batch])
        rates.append(len(data) / (time.perf_counter() - started))
        first = _last_id(db) - len(data) + 1  # they came back as the newest ids
    return rates


def _insert_as_the_writer(db: Database, session: Session, sql: str, rows: list[Any]) -> None:
    """The bare driver's executemany, on SQLite through the connection set up as the
    ingest's writer sets up its own (its page cache), so that only the pipeline differs."""
    if db.is_sqlite:
        store.sqlite_writer(session).executemany(sql, rows)
    else:
        session.connection().exec_driver_sql(sql, rows)


def _delete_ids(db: Database, first: int, end: int) -> None:
    with db.write() as session:
        session.execute(delete(Position).where(Position.id >= first, Position.id < end))
    if db.is_sqlite:
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _compiled(db: Database, statement: Any) -> tuple[str, Any]:
    """The statement's SQL and parameters in the driver's own style (SQLite positional,
    psycopg named)."""
    compiled = statement.compile(dialect=db.engine.dialect)
    names = compiled.positiontup
    if names is None:
        return str(compiled), compiled.params
    return str(compiled), tuple(compiled.params[name] for name in names)


def _rows(count: int) -> list[PositionRow]:
    now = datetime.now(UTC)
    return [
        (1, 1, START + timedelta(seconds=i), now, True, -5.15, 119.43, 30.0, 90.0, 0.0, 9,
         {"priority": 0, "event": 0})
        for i in range(count)
    ]  # fmt: skip


def raw_insert_rate(db: Database, rows: int, batch: int) -> dict[str, float]:
    """The same rows inserted straight into the same database, `batch` rows a commit: with
    the DB-API driver's executemany (the floor of any Python writer), and with SQLAlchemy
    Core `insert()` executemany (what a plain implementation would do)."""
    data = _rows(rows)
    if db.is_sqlite:  # pre-encoded as the column types store them, outside the timing
        driver_rows = [
            (1, 1, str(t.replace(tzinfo=None)), str(r.replace(tzinfo=None)), 1, la, lo, sp, co,
             al, sa, json.dumps(at))
            for _, _, t, r, _, la, lo, sp, co, al, sa, at in data
        ]  # fmt: skip
        sql = SQLITE_INSERT
    else:
        driver_rows = [(*row[:11], json.dumps(row[11])) for row in data]
        sql = PG_INSERT
    started = time.perf_counter()
    for i in range(0, rows, batch):
        with db.write() as session:
            session.connection().exec_driver_sql(sql, driver_rows[i : i + batch])
    driver = rows / (time.perf_counter() - started)
    _clear(db)
    core_rows = [dict(zip(COLUMN_LIST.split(", "), row, strict=True)) for row in data]
    started = time.perf_counter()
    for i in range(0, rows, batch):
        with db.write() as session:
            session.execute(insert(Position.__table__), core_rows[i : i + batch])
    core = rows / (time.perf_counter() - started)
    _clear(db)
    return {"driver": driver, "core": core}


def _clear(db: Database) -> None:
    with db.write() as session:
        session.execute(delete(Position).where(Position.device_id == 1, Position.time >= START))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="sqlite")
    parser.add_argument("--devices", type=int, default=400)
    parser.add_argument("--per-packet", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--batch-ms", type=float, default=50.0)
    parser.add_argument("--protocol", choices=("teltonika", "gt06"), default="teltonika")
    args = parser.parse_args()
    if args.protocol == "gt06":
        args.per_packet = 1
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}" if args.database == "sqlite" else args.database
        db = prepare(url, args.devices, args.protocol)
        result = _run(run_server(db, args))
        batch = FleetConfig().batch_max_rows  # the rows the ingest commits at most at once
        rounds = reinsert_rates(db, result.pop("first_id_of_window"), 100_000, batch, 3)
        same_rows = statistics.median(rounds)
        baseline = raw_insert_rate(db, 100_000, batch)
        db.dispose()
    print(
        json.dumps(
            {
                "benchmark": "fleet_ingest",
                "database": db.engine.dialect.name,
                "protocol": args.protocol,
                "devices": args.devices,
                "fixes_per_packet": args.per_packet,
                "seconds": args.seconds,
                "cpus": os.cpu_count(),
                **result,
                "baseline_raw_insert_same_rows_per_s": round(same_rows),  # median of 3
                "baseline_raw_insert_same_rows_rounds": [round(rate) for rate in rounds],
                "ratio_to_raw_insert_same_rows": round(result["positions_per_s"] / same_rows, 3),
                "baseline_raw_insert_one_device_rows_per_s": round(baseline["driver"]),
                "ratio_to_raw_insert_one_device": round(
                    result["positions_per_s"] / baseline["driver"], 3
                ),
                "baseline_sqlalchemy_core_insert_rows_per_s": round(baseline["core"]),
            }
        )
    )


if __name__ == "__main__":
    main()
