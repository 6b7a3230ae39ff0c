"""Benchmark: CPU time per record of each ingest stage, in one process, without sockets.

    python benchmarks/fleet_stages.py [--database sqlite|postgresql+psycopg://...]
        [--devices 1000] [--packets 20] [--per-packet 10] [--fences 50] [--profile]

Stages, each timed with `time.process_time` over the same Teltonika packets the ingest
benchmark sends: frame + decode (framer, CRC, records), tracker (filters, trips, overspeed,
ignition, geofences), write (encode + driver executemany + commit, batches of `--batch`
rows), live (map payloads of the changed vehicles). The raw driver insert of the same rows
(pre-encoded, as `fleet_ingest.py` measures it) runs last as the floor. `--profile` prints
the top functions of a cProfile run of all stages. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fleet_common import ACTOR, START, fix, imei, register_trackers

from warroom.core import migrate, serving
from warroom.core.db import Database
from warroom.fleet import service, store
from warroom.fleet.config import FleetConfig
from warroom.fleet.directory import DeviceDirectory
from warroom.fleet.encoders import teltonika_avl
from warroom.fleet.fences import load_fences
from warroom.fleet.protocols import PROTOCOLS, Session
from warroom.fleet.schemas import GeofenceCreate
from warroom.fleet.tracker import Outcome, Tracker


def prepare(url: str, devices: int, fences: int) -> Database:
    db = Database(url)
    migrate.upgrade(db)
    with db.write() as session:
        register_trackers(session, devices, protocol="teltonika", tag="ST")
        for n in range(fences):
            center = [119.40 + (n % 10) * 0.01, -5.16 + (n // 10) * 0.01]
            service.create_geofence(
                session,
                data=GeofenceCreate(
                    name=f"fence {n}", geometry={"type": "Point", "coordinates": center},
                    radius_m=300.0,
                ),
                actor=ACTOR,
            )  # fmt: skip
    return db


def packets(devices: int, count: int, per_packet: int) -> list[list[bytes]]:
    """`count` rounds; in each round every device sends one packet."""
    return [
        [
            teltonika_avl([fix(d, r * per_packet + i, ignition=True) for i in range(per_packet)])
            for d in range(devices)
        ]
        for r in range(count)
    ]


def run(db: Database, args: argparse.Namespace) -> dict[str, Any]:
    spec = PROTOCOLS["teltonika"]
    assert spec.framer is not None
    directory = DeviceDirectory(db)
    directory.load()
    tracker = Tracker(FleetConfig(filter_past_days=0))
    tracker.fences = load_fences(db)
    infos = [info for d in range(args.devices) if (info := directory.get(imei(d)))]
    framers = [spec.framer() for _ in range(args.devices)]
    sessions = [Session(imei(d)) for d in range(args.devices)]
    rounds = packets(args.devices, args.packets, args.per_packet)
    cpu = dict.fromkeys(("decode", "tracker", "write", "live"), 0.0)
    records = 0
    received = datetime.now(UTC)
    pending = Outcome()
    for packets_of_round in rounds:
        # As the group-commit writer sees them: whole packets, a batch closing at `--batch`.
        for first in range(0, args.devices, args.batch // args.per_packet):
            devices = range(first, min(args.devices, first + args.batch // args.per_packet))
            started = time.process_time()
            decoded = [
                (d, spec.decode(frame, sessions[d]))
                for d in devices
                for frame in framers[d].feed(packets_of_round[d])
            ]
            cpu["decode"] += time.process_time() - started
            started = time.process_time()
            for d, message in decoded:
                tracker.accept(infos[d], message.records, received, pending)
                records += len(message.records)
            cpu["tracker"] += time.process_time() - started
            write(db, tracker, pending, cpu)
            pending = Outcome()
    one_device = raw_floor(db, args, fleet=False)
    fleet_order = raw_floor(db, args, fleet=True)
    per_record = {stage: round(seconds / records * 1e6, 2) for stage, seconds in cpu.items()}
    return {
        "records": records,
        "cpu_us_per_record": per_record,
        "total_us_per_record": round(sum(per_record.values()), 2),
        "raw_insert_us_per_record": {"one_device": one_device, "fleet_order": fleet_order},
    }


def write(db: Database, tracker: Tracker, out: Outcome, cpu: dict[str, float]) -> None:
    started = time.process_time()
    tracker.finish(out)  # the batch's geofence tests
    cpu["tracker"] += time.process_time() - started
    started = time.process_time()
    with db.write() as session:
        store.write_batch(session, rows=out.rows, events=out.events, states=[])
    cpu["write"] += time.process_time() - started
    started = time.process_time()
    out.seal()
    cpu["live"] += time.process_time() - started


def raw_floor(db: Database, args: argparse.Namespace, *, fleet: bool) -> float:
    """CPU µs per row of the driver executemany of pre-encoded rows, `--batch` rows a
    commit. `fleet=False`: one device's consecutive fixes, as `fleet_ingest.py`'s baseline;
    `fleet=True`: the order the ingest writes (`--per-packet` fixes of each device in turn),
    which touches many more index pages per commit."""
    rows, devices, run = 20_000, args.devices if fleet else 1, args.per_packet
    now = datetime.now(UTC)
    later = START + timedelta(days=400 if fleet else 800)
    order = [
        (1 + (n // run) % devices, (n // (run * devices)) * run + n % run) for n in range(rows)
    ]
    data: list[tuple[Any, ...]] = [
        (device, device, later + timedelta(seconds=second), now, True, -5.15, 119.43, 30.0,
         90.0, 0.0, 9, '{"priority": 0, "event": 0}')
        for device, second in order
    ]  # fmt: skip
    sql = store.PG_INSERT
    if db.is_sqlite:  # as the column types store them
        data = [(d, v, str(t.replace(tzinfo=None)), str(r.replace(tzinfo=None)), 1, *rest)
                for d, v, t, r, _, *rest in data]  # fmt: skip
        sql = store.SQLITE_INSERT
    started = time.process_time()
    for i in range(0, rows, args.batch):
        with db.write() as session:
            session.connection().exec_driver_sql(sql, data[i : i + args.batch])
    return round((time.process_time() - started) / rows * 1e6, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="sqlite")
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--packets", type=int, default=20)
    parser.add_argument("--per-packet", type=int, default=10)
    parser.add_argument("--fences", type=int, default=50)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'stages.db'}" if args.database == "sqlite" else args.database
        db = prepare(url, args.devices, args.fences)
        interpreter = serving.settle_for_serving()  # as `warroom serve` does after start-up
        profiler = cProfile.Profile() if args.profile else None
        if profiler is not None:
            profiler.enable()
        result = run(db, args)
        if profiler is not None:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        serving.restore(interpreter)
        db.dispose()
    print(json.dumps({"benchmark": "fleet_stages", "database": db.engine.dialect.name, **result}))


if __name__ == "__main__":
    main()
