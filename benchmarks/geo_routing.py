"""Benchmark: one-to-many travel times on a road graph of at least 100,000 nodes.

One incident point to 1,000 unit positions (``many_to_one``: every unit to the incident, on the
reversed graph) and one point to 1,000 targets (``one_to_many``), both with metres; compared
with networkx single-source Dijkstra on the same graph in the same run.

    python benchmarks/geo_routing.py [--queries 300] [--size 340]

Prints one JSON object. Times are wall-clock milliseconds per call, unit positions snapped once
beforehand (fleet positions are snapped when they are reported); the incident is snapped inside
each call.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable

import networkx as nx  # type: ignore[import-untyped, unused-ignore]
import numpy as np

from warroom.geo.routing import Router
from warroom.geo.synthetic import GridSpec, grid_network


def percentiles(samples: tuple[list[float], list[float]]) -> dict[str, float]:
    """Wall-clock percentiles, plus the CPU time of the calling thread: on a shared machine the
    difference is time spent waiting for a core, not work."""
    ms, cpu = np.asarray(samples[0]) * 1000, np.asarray(samples[1]) * 1000
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p95_ms": round(float(np.percentile(ms, 95)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
        "max_ms": round(float(ms.max()), 2),
        "cpu_p50_ms": round(float(np.percentile(cpu, 50)), 2),
        "cpu_p99_ms": round(float(np.percentile(cpu, 99)), 2),
        "runs": int(ms.size),
    }


def timed(call: Callable[[], object], runs: int) -> tuple[list[float], list[float]]:
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.thread_time()
        call()
        wall.append(time.perf_counter() - start)
        cpu.append(time.thread_time() - start_cpu)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--size", type=int, default=340, help="grid rows and columns")
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--nx-runs", type=int, default=5)
    args = parser.parse_args()

    start = time.perf_counter()
    graph = grid_network(
        GridSpec(south=-5.20, west=119.38, rows=args.size, cols=args.size, spacing_m=50.0, seed=7)
    )
    build_s = time.perf_counter() - start
    rng = np.random.default_rng(42)
    lat_range = (graph.node_lat.min(), graph.node_lat.max())
    lon_range = (graph.node_lon.min(), graph.node_lon.max())
    unit_lat, unit_lon = rng.uniform(*lat_range, args.units), rng.uniform(*lon_range, args.units)
    incidents = np.stack(
        [rng.uniform(*lat_range, args.queries), rng.uniform(*lon_range, args.queries)], 1
    )

    start = time.perf_counter()
    router = Router(graph)
    router.warm_up()
    setup_s = time.perf_counter() - start
    snap_times = timed(lambda: router.snap(unit_lat, unit_lon), 20)
    units = router.snap(unit_lat, unit_lon)

    queries = iter(incidents.tolist() * 2)
    many_to_one = timed(
        lambda: router.many_to_one(sources=units, destination=tuple(next(queries))), args.queries
    )
    queries = iter(incidents.tolist())
    one_to_many = timed(
        lambda: router.one_to_many(origin=tuple(next(queries)), targets=units), args.queries
    )

    scipy_router = Router(graph, backend="scipy")
    scipy_router.warm_up()
    queries = iter(incidents.tolist())
    scipy_times = timed(
        lambda: scipy_router.many_to_one(sources=units, destination=tuple(next(queries))),
        min(args.queries, 50),
    )

    g = nx.DiGraph()
    g.add_weighted_edges_from(
        zip(
            graph.edge_head.tolist(),
            graph.edge_tail.tolist(),
            graph.edge_time_s.tolist(),
            strict=True,
        )
    )
    sources = iter(rng.integers(0, graph.node_count, args.nx_runs).tolist())
    nx_times = timed(lambda: nx.single_source_dijkstra_path_length(g, next(sources)), args.nx_runs)

    m2o = percentiles(many_to_one)
    nx_ms = float(np.median(nx_times[0])) * 1000
    print(
        json.dumps(
            {
                "benchmark": "geo_routing",
                "graph": {
                    "nodes": graph.node_count,
                    "edges": graph.edge_count,
                    "segments": int(graph.seg.u.size),
                    "synthetic": graph.synthetic,
                    "build_s": round(build_s, 2),
                },
                "router_setup_s": round(setup_s, 2),
                "backend": router.backend if router.backend != "auto" else "numba-or-scipy(auto)",
                "units": args.units,
                "snap_1000_units": percentiles(snap_times),
                "many_to_one_1000_units": m2o,
                "one_to_many_1000_targets": percentiles(one_to_many),
                "scipy_backend_many_to_one": percentiles(scipy_times),
                "networkx_single_source_ms_median": round(nx_ms, 1),
                "speedup_vs_networkx_p50": round(nx_ms / m2o["p50_ms"], 1),
                "target_p99_ms": 25.0,
                "meets_target": m2o["p99_ms"] < 25.0,
                "load_average_1min": round(os.getloadavg()[0], 2),
                "cpus": os.cpu_count(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
