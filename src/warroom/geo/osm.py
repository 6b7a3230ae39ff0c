"""Import an OSM extract (XML or PBF, read by pyosmium) into a ``RoadGraph``.

Graph nodes are only the junctions and the ends of ways; the points between them stay as segment
shape. That keeps shortest-path searches to the nodes where a choice exists (typically a third
of the nodes of a city's OSM roads). Built graphs are cached as ``<file>.graph.npz`` beside the
extract and reused while the extract's size and mtime and the road profile are unchanged.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import osmium

from warroom.geo.errors import GeoInputError
from warroom.geo.graph import FORMAT_VERSION, RoadGraph, Segments, load_graph, save_graph
from warroom.geo.profile import RoadProfile

log = logging.getLogger(__name__)
OSM_SUFFIXES = (".osm", ".xml", ".osm.pbf", ".pbf", ".osm.bz2", ".osm.gz", ".osc")


def check_osm_path(path: Path) -> None:
    if not any(path.name.lower().endswith(s) for s in OSM_SUFFIXES):
        raise GeoInputError(
            f"{path}: unknown OSM file type (expected one of {', '.join(OSM_SUFFIXES)})"
        )
    if not path.is_file():
        raise GeoInputError(f"{path}: no such file")


@dataclass
class _Collected:
    """Way points read from the file, flattened: one row per point, ``part`` says whose."""

    ids: list[int] = field(default_factory=list)
    lat: list[float] = field(default_factory=list)
    lon: list[float] = field(default_factory=list)
    part: list[int] = field(default_factory=list)
    way_id: list[int] = field(default_factory=list)
    fwd: list[float] = field(default_factory=list)
    bwd: list[float] = field(default_factory=list)
    name: list[int] = field(default_factory=list)
    highway: list[int] = field(default_factory=list)
    names: dict[str, int] = field(default_factory=dict)
    highways: dict[str, int] = field(default_factory=dict)
    missing_nodes: int = 0

    def add_part(
        self,
        way: Any,
        tags: dict[str, str],
        points: list[tuple[int, float, float]],
        speeds: tuple[float, float],
    ) -> None:
        part = len(self.way_id)
        for ref, lat, lon in points:
            self.ids.append(ref)
            self.lat.append(lat)
            self.lon.append(lon)
            self.part.append(part)
        self.way_id.append(way.id)
        self.fwd.append(speeds[0])
        self.bwd.append(speeds[1])
        name = tags.get("name")
        self.name.append(self.names.setdefault(name, len(self.names)) if name else -1)
        self.highway.append(self.highways.setdefault(tags["highway"], len(self.highways)))


def _way_parts(way: Any) -> list[list[tuple[int, float, float]]]:
    """Runs of nodes with known locations; an extract cut at its border may lack some nodes."""
    parts: list[list[tuple[int, float, float]]] = [[]]
    for node in way.nodes:
        loc = node.location
        if loc.valid():
            parts[-1].append((node.ref, loc.lat, loc.lon))
        elif parts[-1]:
            parts.append([])
    return [p for p in parts if len(p) >= 2]


def _collect(path: Path, profile: RoadProfile) -> _Collected:
    out = _Collected()
    processor = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    for obj in processor:
        if not isinstance(obj, osmium.osm.Way):
            continue
        tags = dict(obj.tags)
        if not profile.is_routable(tags):
            continue
        direction = profile.direction(tags)
        fwd_kmh, bwd_kmh = profile.speeds_kmh(tags)
        speeds = (fwd_kmh if direction.forward else 0.0, bwd_kmh if direction.backward else 0.0)
        parts = _way_parts(obj)
        out.missing_nodes += len(obj.nodes) - sum(len(p) for p in parts)
        for points in parts:
            out.add_part(obj, tags, points, speeds)
    return out


def _split_flags(ids: np.ndarray, part: np.ndarray) -> np.ndarray:
    """True where a segment must start or end: shared nodes, part ends, and the middle of any
    closed loop that would otherwise become a useless self-loop segment."""
    _, inverse, counts = np.unique(ids, return_inverse=True, return_counts=True)
    flags = counts[inverse] >= 2
    boundary = np.flatnonzero(np.diff(part)) + 1
    flags[0] = flags[-1] = True
    flags[boundary] = flags[boundary - 1] = True
    while True:
        splits = np.flatnonzero(flags)
        a, b = splits[:-1], splits[1:]
        loops = (part[a] == part[b]) & (ids[a] == ids[b]) & (b - a >= 2)
        if not loops.any():
            return flags
        flags[(a[loops] + b[loops]) // 2] = True


def _to_graph(c: _Collected, source: str) -> RoadGraph:
    if not c.way_id:
        raise GeoInputError(f"{source}: no routable roads (highway=* ways) in the file")
    ids = np.asarray(c.ids, dtype=np.int64)
    lat, lon = np.asarray(c.lat), np.asarray(c.lon)
    part = np.asarray(c.part, dtype=np.int64)
    splits = np.flatnonzero(_split_flags(ids, part))
    a, b = splits[:-1], splits[1:]
    keep = (part[a] == part[b]) & (ids[a] != ids[b])
    a, b = a[keep], b[keep]
    node_ids = np.unique(ids[splits])
    u = np.searchsorted(node_ids, ids[a]).astype(np.int32)
    v = np.searchsorted(node_ids, ids[b]).astype(np.int32)
    counts = b - a + 1
    geom_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    point_idx = np.repeat(a - geom_ptr[:-1], counts) + np.arange(int(geom_ptr[-1]))
    split_ids = ids[splits]
    order = np.argsort(split_ids, kind="stable")
    node_point = splits[order[np.searchsorted(split_ids[order], node_ids)]]
    seg_part = part[a]
    seg = Segments(
        u=u,
        v=v,
        geom_ptr=geom_ptr,
        geom_lat=lat[point_idx],
        geom_lon=lon[point_idx],
        forward_kmh=np.asarray(c.fwd)[seg_part],
        backward_kmh=np.asarray(c.bwd)[seg_part],
        way_id=np.asarray(c.way_id, dtype=np.int64)[seg_part],
        name=np.asarray(c.name, dtype=np.int32)[seg_part],
        highway=np.asarray(c.highway, dtype=np.int32)[seg_part],
        names=list(c.names),
        highways=list(c.highways),
    )
    graph = RoadGraph.build(lat[node_point], lon[node_point], seg, source=source, synthetic=False)
    graph.meta["missing_nodes"] = c.missing_nodes
    return graph


def read_osm_graph(path: Path, *, profile: RoadProfile | None = None) -> RoadGraph:
    """Build the graph from the extract (no cache). Raises GeoInputError for unreadable files."""
    check_osm_path(path)
    try:
        collected = _collect(path, profile or RoadProfile())
    except RuntimeError as exc:
        raise GeoInputError(f"{path}: malformed OSM data ({exc})") from None
    return _to_graph(collected, source=f"osm:{path.name}")


def _cache_key(path: Path, profile: RoadProfile) -> dict[str, Any]:
    stat = path.stat()
    key = {
        "osm_size": stat.st_size,
        "osm_mtime_ns": stat.st_mtime_ns,
        "format": FORMAT_VERSION,
        "profile": sorted(profile.class_speeds_kmh.items()),
    }
    return dict(json.loads(json.dumps(key)))  # the form it has after a round trip through the cache


def load_osm_graph(
    path: Path, *, profile: RoadProfile | None = None, cache: bool = True
) -> RoadGraph:
    """The graph of an extract, from the ``.graph.npz`` cache beside it when still valid."""
    check_osm_path(path)
    profile = profile or RoadProfile()
    cache_path = path.with_name(path.name + ".graph.npz")
    key = _cache_key(path, profile)
    if cache and cache_path.is_file():
        try:
            graph = load_graph(cache_path)
            if graph.meta.get("cache_key") == key:
                return graph
        except GeoInputError as exc:
            log.info("ignoring road graph cache: %s", exc)
    graph = read_osm_graph(path, profile=profile)
    graph.meta["cache_key"] = key
    if cache:
        try:
            save_graph(graph, cache_path)
        except OSError as exc:  # a read-only data folder only costs the next start some time
            log.warning("could not write road graph cache %s: %s", cache_path, exc)
    return graph
