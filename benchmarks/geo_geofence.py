"""Benchmark: point-in-geofence checks against 1,000 fences (circles, polygons, corridors).

    python benchmarks/geo_geofence.py [--points 200000] [--fences 1000] [--rounds 5]

Prints one JSON object: points checked per second (each point against every fence, through
the grid index), and the same with a shapely STRtree ``intersects`` query for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import shapely  # type: ignore[import-untyped, unused-ignore]

from warroom.geo.geofence import CircleFence, CorridorFence, Fence, GeofenceIndex, PolygonFence

SOUTH, NORTH, WEST, EAST = -5.20, -5.05, 119.40, 119.55


def make_fences(count: int, rng: np.random.Generator) -> list[Fence]:
    fences: list[Fence] = []
    for i in range(count):
        lat, lon = rng.uniform(SOUTH, NORTH), rng.uniform(WEST, EAST)
        if i % 3 == 0:
            fences.append(CircleFence(f"circle-{i}", (lat, lon), float(rng.uniform(100, 800))))
        elif i % 3 == 1:
            d = rng.uniform(0.002, 0.01)
            ring = [
                (lat, lon),
                (lat + d, lon),
                (lat + d, lon + d),
                (lat + d / 2, lon + 1.4 * d),
                (lat, lon + d),
            ]
            fences.append(PolygonFence(f"polygon-{i}", [ring]))
        else:
            line = [(lat, lon), (lat + 0.01, lon + 0.005), (lat + 0.012, lon + 0.02)]
            fences.append(CorridorFence(f"corridor-{i}", line, 50.0))
    return fences


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--fences", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    fences = make_fences(args.fences, rng)
    start = time.perf_counter()
    index = GeofenceIndex(fences)
    build_s = time.perf_counter() - start
    lat = rng.uniform(SOUTH, NORTH, args.points)
    lon = rng.uniform(WEST, EAST, args.points)
    rates, hits = [], 0
    for _ in range(args.rounds):
        start = time.perf_counter()
        hits = index.query(lat, lon).point.size
        rates.append(args.points / (time.perf_counter() - start))

    x, y = index.proj.to_xy(lat, lon)
    tree = shapely.STRtree(index.polygons)
    start = time.perf_counter()
    tree_hits = tree.query(shapely.points(x, y), predicate="intersects")[0].size
    strtree_rate = args.points / (time.perf_counter() - start)

    print(
        json.dumps(
            {
                "benchmark": "geo_geofence",
                "fences": args.fences,
                "points": args.points,
                "rounds": args.rounds,
                "index_build_s": round(build_s, 2),
                "grid_cell_m": round(index.cell_m, 1),
                "hits_per_round": hits,
                "points_per_s_median": round(float(np.median(rates))),
                "points_per_s_min": round(float(np.min(rates))),
                "point_fence_pairs_per_s_median": round(float(np.median(rates)) * args.fences),
                "strtree_intersects_points_per_s": round(strtree_rate),
                "strtree_hits": tree_hits,  # differs slightly: its circles are inscribed polygons
                "target_points_per_s": 200_000,
                "meets_target": float(np.min(rates)) >= 200_000,
                "load_average_1min": round(os.getloadavg()[0], 2),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
