"""Benchmark: import of an OSM extract (XML and PBF) into the routable graph.

Generates a synthetic city extract with pyosmium's writer (a grid of named streets, shape
points between junctions, one-ways, maxspeed tags, footways and an access=no road), then times
``read_osm_graph`` (no cache) on both formats and the cached reload.

    python benchmarks/geo_osm_import.py [--size 300] [--keep DIR]

Prints one JSON object with OSM nodes read per second.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import tempfile
import time
from pathlib import Path

import osmium
from osmium.osm import mutable

from warroom.geo.osm import load_osm_graph, read_osm_graph

SHAPE_POINTS = 2  # between two junctions, as mapped streets usually have
STEP_DEG = 0.0006  # about 66 m between junctions


def write_city(path: Path, size: int) -> dict[str, int]:
    """A ``size`` x ``size`` junction grid; one way per grid line, split in 10 pieces."""
    node_id, way_id = 0, 0
    junction: dict[tuple[int, int], int] = {}
    ways: list[tuple[list[int], dict[str, str]]] = []
    with osmium.SimpleWriter(str(path), overwrite=True) as writer:
        for r in range(size):
            for c in range(size):
                node_id += 1
                junction[r, c] = node_id
                writer.add_node(
                    mutable.Node(id=node_id, location=(119.38 + c * STEP_DEG, -5.20 + r * STEP_DEG))
                )
        for horizontal in (True, False):
            for line in range(size):
                cells = [(line, k) if horizontal else (k, line) for k in range(size)]
                refs: list[int] = []
                for (r0, c0), (r1, c1) in itertools.pairwise(cells):
                    refs.append(junction[r0, c0])
                    for s in range(1, SHAPE_POINTS + 1):
                        node_id += 1
                        f = s / (SHAPE_POINTS + 1)
                        writer.add_node(
                            mutable.Node(
                                id=node_id,
                                location=(
                                    119.38 + (c0 + f * (c1 - c0)) * STEP_DEG + 0.00005,
                                    -5.20 + (r0 + f * (r1 - r0)) * STEP_DEG + 0.00005,
                                ),
                            )
                        )
                refs.append(junction[cells[-1]])
                piece = max(2, len(refs) // 10)
                for start in range(0, len(refs) - 1, piece):
                    ways.append((refs[start : start + piece + 1], _tags(line, horizontal)))
        for refs, tags in ways:
            way_id += 1
            writer.add_way(mutable.Way(id=way_id, nodes=refs, tags=tags))
    return {"nodes": node_id, "ways": way_id}


def _tags(line: int, horizontal: bool) -> dict[str, str]:
    name = f"Jalan {'Timur' if horizontal else 'Utara'} {line}"
    if line % 8 == 0:
        return {"highway": "primary", "name": name, "maxspeed": "60"}
    if line % 4 == 0:
        return {"highway": "secondary", "name": name}
    if line % 13 == 5:
        return {"highway": "footway"}
    if line % 17 == 3:
        return {"highway": "residential", "name": name, "access": "no"}
    oneway = {"oneway": "yes"} if line % 3 == 1 else {}
    return {"highway": "residential", "name": name, **oneway}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=300)
    parser.add_argument("--keep", type=Path, default=None, help="write the files here")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="warroom-osm-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    results: dict[str, object] = {"benchmark": "geo_osm_import", "grid": args.size}
    for suffix in (".osm", ".osm.pbf"):
        path = folder / f"synthetic_city{suffix}"
        start = time.perf_counter()
        counts = write_city(path, args.size)
        written_s = time.perf_counter() - start
        start = time.perf_counter()
        graph = read_osm_graph(path)
        read_s = time.perf_counter() - start
        load_osm_graph(path)  # writes the cache
        start = time.perf_counter()
        load_osm_graph(path)
        cached_s = time.perf_counter() - start
        results[suffix.lstrip(".")] = {
            "file_mb": round(path.stat().st_size / 1e6, 2),
            **counts,
            "write_s": round(written_s, 2),
            "import_s": round(read_s, 2),
            "nodes_per_s": round(counts["nodes"] / read_s),
            "graph_nodes": graph.node_count,
            "graph_edges": graph.edge_count,
            "cached_load_s": round(cached_s, 3),
        }
        if args.keep is None:
            for leftover in folder.glob(f"synthetic_city{suffix}*"):
                leftover.unlink()
    if args.keep is None:
        folder.rmdir()
    results["load_average_1min"] = round(os.getloadavg()[0], 2)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
