"""A compact, routable road graph held in numpy arrays.

Two layers:

* **segments**: the physical road pieces between two graph nodes (junctions and dead ends), with
  their shape (``geom_*`` points, from ``seg_u`` to ``seg_v``), length, OSM way and name. Snapping
  and route geometry work on segments.
* **edges**: the directed, drivable ways through a segment (one for a one-way street, two for a
  two-way one), stored in CSR order by tail node so shortest-path code reads them directly.
  ``edge_time_s`` is what routing minimises; it changes when live speeds arrive
  (``set_edge_speeds``) without rebuilding anything else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from warroom.geo.coords import haversine_m
from warroom.geo.errors import GeoInputError

FORMAT_VERSION = 1
MIN_EDGE_TIME_S = 1e-3  # zero weights would make ties ambiguous; a millisecond never matters
F64 = NDArray[np.float64]
I32 = NDArray[np.int32]
I64 = NDArray[np.int64]


@dataclass(eq=False)
class Segments:
    """Input for ``RoadGraph.build``: one row per segment; a speed of 0 means no travel that way."""

    u: I32
    v: I32
    geom_ptr: I64
    geom_lat: F64
    geom_lon: F64
    forward_kmh: F64
    backward_kmh: F64
    way_id: I64
    name: I32  # index into ``names``; -1 when unnamed
    highway: I32  # index into ``highways``
    names: list[str]
    highways: list[str]


@dataclass(eq=False)
class RoadGraph:
    node_lat: F64
    node_lon: F64
    seg: Segments
    seg_length_m: F64
    indptr: I64
    edge_tail: I32
    edge_head: I32
    edge_seg: I32
    edge_forward: NDArray[np.bool_]
    edge_base_kmh: F64
    edge_kmh: F64
    edge_time_s: F64
    seg_fwd_edge: I32  # directed edge u->v of each segment, or -1
    seg_bwd_edge: I32  # directed edge v->u of each segment, or -1
    source: str
    synthetic: bool
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def node_count(self) -> int:
        return int(self.node_lat.size)

    @property
    def edge_count(self) -> int:
        return int(self.edge_head.size)

    @property
    def edge_length_m(self) -> F64:
        return self.seg_length_m[self.edge_seg]

    @classmethod
    def build(
        cls, node_lat: F64, node_lon: F64, seg: Segments, *, source: str, synthetic: bool
    ) -> RoadGraph:
        """Index nodes in Morton (Z-curve) order and the edges by tail node. Nearby nodes then
        sit nearby in memory, which made searches on OSM graphs (numbered by OSM id, i.e. by
        mapping history) markedly faster; already-ordered input keeps its order."""
        order = spatial_order(node_lat, node_lon)
        rank = np.empty(order.size, dtype=np.int32)
        rank[order] = np.arange(order.size, dtype=np.int32)
        node_lat, node_lon = node_lat[order], node_lon[order]
        seg = replace(seg, u=rank[seg.u], v=rank[seg.v])
        length = segment_lengths_m(seg.geom_ptr, seg.geom_lat, seg.geom_lon)
        fwd, bwd = seg.forward_kmh > 0, seg.backward_kmh > 0
        ids = np.arange(seg.u.size, dtype=np.int32)
        tail = np.concatenate([seg.u[fwd], seg.v[bwd]]).astype(np.int32)
        head = np.concatenate([seg.v[fwd], seg.u[bwd]]).astype(np.int32)
        edge_seg = np.concatenate([ids[fwd], ids[bwd]])
        forward = np.concatenate([np.ones(int(fwd.sum()), bool), np.zeros(int(bwd.sum()), bool)])
        kmh = np.concatenate([seg.forward_kmh[fwd], seg.backward_kmh[bwd]]).astype(np.float64)
        order = np.argsort(tail, kind="stable")
        tail, head, edge_seg = tail[order], head[order], edge_seg[order]
        forward, kmh = forward[order], kmh[order]
        n = int(node_lat.size)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(tail, minlength=n), out=indptr[1:])
        seg_fwd = np.full(seg.u.size, -1, dtype=np.int32)
        seg_bwd = np.full(seg.u.size, -1, dtype=np.int32)
        edge_ids = np.arange(tail.size, dtype=np.int32)
        seg_fwd[edge_seg[forward]] = edge_ids[forward]
        seg_bwd[edge_seg[~forward]] = edge_ids[~forward]
        graph = cls(
            node_lat=node_lat,
            node_lon=node_lon,
            seg=seg,
            seg_length_m=length,
            indptr=indptr,
            edge_tail=tail,
            edge_head=head,
            edge_seg=edge_seg.astype(np.int32),
            edge_forward=forward,
            edge_base_kmh=kmh.copy(),
            edge_kmh=kmh,
            edge_time_s=np.empty(tail.size),
            seg_fwd_edge=seg_fwd,
            seg_bwd_edge=seg_bwd,
            source=source,
            synthetic=synthetic,
        )
        graph.set_edge_speeds(edge_ids, kmh)
        return graph

    def set_edge_speeds(self, edge_ids: NDArray[np.integer[Any]], speeds_kmh: F64) -> None:
        """Change the speed (and so the travel time) of the given directed edges in place."""
        if np.any(~np.isfinite(speeds_kmh)) or np.any(speeds_kmh <= 0):
            raise GeoInputError("speeds must be positive km/h values")
        if edge_ids.size and (edge_ids.min() < 0 or edge_ids.max() >= self.edge_count):
            raise GeoInputError(f"edge ids must be in 0..{self.edge_count - 1}")
        self.edge_kmh[edge_ids] = speeds_kmh
        seconds = self.seg_length_m[self.edge_seg[edge_ids]] / (speeds_kmh / 3.6)
        self.edge_time_s[edge_ids] = np.maximum(seconds, MIN_EDGE_TIME_S)

    def segment_coords(self, seg_id: int) -> list[tuple[float, float]]:
        """The segment's shape as (lon, lat) pairs from u to v."""
        lo, hi = int(self.seg.geom_ptr[seg_id]), int(self.seg.geom_ptr[seg_id + 1])
        return list(
            zip(self.seg.geom_lon[lo:hi].tolist(), self.seg.geom_lat[lo:hi].tolist(), strict=True)
        )

    def segment_name(self, seg_id: int) -> str | None:
        index = int(self.seg.name[seg_id])
        return self.seg.names[index] if index >= 0 else None

    def describe(self) -> dict[str, Any]:
        """What the API and UI show about the network (a synthetic one must say so)."""
        return {
            "source": self.source,
            "synthetic": self.synthetic,
            "nodes": self.node_count,
            "edges": self.edge_count,
            "segments": int(self.seg.u.size),
            **self.meta,
        }


def spatial_order(lat: F64, lon: F64) -> I64:
    """Node order along a Z-curve over the bounding box (16 bits per axis), stable."""
    if lat.size == 0:
        return np.zeros(0, dtype=np.int64)

    def quantise(values: F64) -> NDArray[np.uint64]:
        span = float(values.max() - values.min()) or 1.0
        return np.asarray((values - values.min()) / span * 65535, dtype=np.uint64)

    code = np.zeros(lat.size, dtype=np.uint64)
    qy, qx = quantise(lat), quantise(lon)
    for bit in range(16):
        code |= ((qx >> np.uint64(bit)) & np.uint64(1)) << np.uint64(2 * bit)
        code |= ((qy >> np.uint64(bit)) & np.uint64(1)) << np.uint64(2 * bit + 1)
    return np.argsort(code, kind="stable").astype(np.int64)


def segment_lengths_m(geom_ptr: I64, lat: F64, lon: F64) -> F64:
    """Length of each segment's polyline (points ``geom_ptr[i]..geom_ptr[i+1]-1``)."""
    if lat.size < 2:
        return np.zeros(max(geom_ptr.size - 1, 0))
    step = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
    cum = np.concatenate([[0.0], np.cumsum(step)])
    return np.asarray(cum[geom_ptr[1:] - 1] - cum[geom_ptr[:-1]], dtype=np.float64)


_SEG_ARRAYS = (
    "u",
    "v",
    "geom_ptr",
    "geom_lat",
    "geom_lon",
    "forward_kmh",
    "backward_kmh",
    "way_id",
    "name",
    "highway",
)


def save_graph(graph: RoadGraph, path: Path) -> None:
    """Write the graph as .npz (atomically, so a reader never sees half a file)."""
    arrays = {f"seg_{k}": getattr(graph.seg, k) for k in _SEG_ARRAYS}
    meta = {
        "version": FORMAT_VERSION,
        "source": graph.source,
        "synthetic": graph.synthetic,
        "names": graph.seg.names,
        "highways": graph.seg.highways,
        "meta": graph.meta,
    }
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as handle:
        np.savez(
            handle,
            node_lat=graph.node_lat,
            node_lon=graph.node_lon,
            meta=np.array(json.dumps(meta)),
            **arrays,
        )
    tmp.replace(path)


def load_graph(path: Path) -> RoadGraph:
    """Read a graph written by ``save_graph``; speeds come back as first built (base speeds)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("version") != FORMAT_VERSION:
                raise GeoInputError(f"{path}: graph cache version {meta.get('version')} is stale")
            seg = Segments(
                **{k: data[f"seg_{k}"] for k in _SEG_ARRAYS},
                names=list(meta["names"]),
                highways=list(meta["highways"]),
            )
            graph = RoadGraph.build(
                data["node_lat"],
                data["node_lon"],
                seg,
                source=meta["source"],
                synthetic=bool(meta["synthetic"]),
            )
    except (OSError, ValueError, KeyError) as exc:
        raise GeoInputError(f"{path}: not a readable road graph cache ({exc})") from None
    graph.meta.update(meta.get("meta", {}))
    return graph
