"""Benchmark: dispatch recommendation for one incident with 1,000 live units on a road graph
of at least 100,000 nodes (target p99 under 50 ms).

Measures ``dispatch.recommend`` end to end (read the available units and their positions
from SQLite, filter by capability, snap them, one reversed search, rank); the baseline in the
same run is the bare ``Router.many_to_one`` for the same points (routing only).

    .venv/bin/python benchmarks/emergency_recommend.py [--queries 200] [--size 320]
"""

from __future__ import annotations

import argparse
import json
import random

import numpy as np
from emergency_common import clock, fresh_database, percentiles

from warroom.core.audit import Actor
from warroom.emergency import dispatch, opening, service, units
from warroom.emergency.schemas import IncidentCreate, Location, UnitCreate
from warroom.emergency.taxonomy import Capability
from warroom.geo.routing import Router
from warroom.geo.synthetic import GridSpec, grid_network

ACTOR = Actor("bench", "bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--size", type=int, default=320, help="grid rows and columns")
    parser.add_argument("--units", type=int, default=1000)
    args = parser.parse_args()
    graph = grid_network(
        GridSpec(south=-5.20, west=119.38, rows=args.size, cols=args.size, spacing_m=50.0, seed=7)
    )
    router = Router(graph)
    router.warm_up()
    rng = random.Random(7)
    lat_lo, lat_hi = float(graph.node_lat.min()), float(graph.node_lat.max())
    lon_lo, lon_hi = float(graph.node_lon.min()), float(graph.node_lon.max())

    def point() -> Location:
        return Location(lat=rng.uniform(lat_lo, lat_hi), lon=rng.uniform(lon_lo, lon_hi))

    db = fresh_database()
    caps = [Capability.ALS, Capability.BLS, Capability.FIRE_ENGINE, Capability.POLICE_CAR]
    with db.write() as session:
        for n in range(args.units):
            units.register_unit(
                session,
                actor=ACTOR,
                data=UnitCreate(
                    callsign=f"U-{n:04d}",
                    agency_code="health",
                    capabilities=[caps[n % 4]],
                    location=point(),
                ),
            )
        # "other" needs no capability: every one of the 1,000 units is a candidate.
        incidents = [
            opening.create_incident(
                session, actor=ACTOR, data=IncidentCreate(type="other", location=point())
            ).id
            for _ in range(args.queries)
        ]
    with db.read() as session:
        rows = session.query(units.Unit.lat, units.Unit.lon).all()
        spots = [(i.lat, i.lon) for i in session.query(service.Incident).all()]
    u_lat = np.array([r.lat for r in rows])
    u_lon = np.array([r.lon for r in rows])

    full, bare = [], []
    for incident_id, spot in zip(incidents, spots, strict=True):
        start = clock()
        with db.read() as session:
            ranked = dispatch.recommend(session, incident_id=incident_id, router=router)
        full.append(clock() - start)
        start = clock()
        router.many_to_one(sources=(u_lat, u_lon), destination=spot)
        bare.append(clock() - start)
        assert ranked, "every incident must get a recommendation"
    result = {
        "benchmark": "emergency_recommend",
        "graph_nodes": graph.node_count,
        "units": args.units,
        "recommend": percentiles(full),
        "baseline_many_to_one": percentiles(bare),
    }
    ratio = result["recommend"]["p99_ms"] / result["baseline_many_to_one"]["p99_ms"]
    result["ratio_p99"] = round(ratio, 2)
    result["target_p99_ms"] = 50
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
