"""Snap points to the nearest road segment (shapely STRtree over projected segment pieces).

A snap records *where along* the segment the point lands (``frac`` of the segment's length from
its ``u`` end), so travel times can charge only the part of the first and last segment actually
driven instead of rounding to a node.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely  # type: ignore[import-untyped, unused-ignore]
from numpy.typing import ArrayLike
from scipy.spatial import cKDTree  # type: ignore[import-untyped, unused-ignore]

from warroom.geo.coords import LocalProjection, check_lat_lon_arrays
from warroom.geo.graph import F64, I32, I64, RoadGraph

END_TOLERANCE_M = 1e-3
SAMPLE_M = 20.0
CANDIDATES = 8


@dataclass(frozen=True)
class Snaps:
    """Snapped positions of N points (arrays of length N)."""

    seg: I32
    frac: F64
    distance_m: F64  # from the input point to the road
    lat: F64  # the point on the road
    lon: F64
    bearing_deg: F64 | None = None  # direction of the road (u to v) there, clockwise from north

    def __len__(self) -> int:
        return int(self.seg.size)


def geometry_cumulative_m(graph: RoadGraph) -> F64:
    """For every shape point, its distance in metres from the start of its segment."""
    lat, lon, ptr = graph.seg.geom_lat, graph.seg.geom_lon, graph.seg.geom_ptr
    from warroom.geo.coords import haversine_m

    step = np.concatenate([[0.0], haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])])
    step[ptr[:-1]] = 0.0  # the first point of each segment starts again at zero
    cum = np.cumsum(step)
    starts = np.repeat(cum[ptr[:-1]], np.diff(ptr))
    return np.asarray(cum - starts, dtype=np.float64)


class EdgeSnapper:
    """Nearest-segment lookups for one graph. Build once; queries are thread-safe."""

    def __init__(self, graph: RoadGraph, cumulative_m: F64 | None = None) -> None:
        self.graph = graph
        self.cum_m = geometry_cumulative_m(graph) if cumulative_m is None else cumulative_m
        ptr = graph.seg.geom_ptr
        self.proj = LocalProjection.around(graph.node_lat, graph.node_lon)
        x, y = self.proj.to_xy(graph.seg.geom_lat, graph.seg.geom_lon)
        is_last = np.zeros(x.size, dtype=bool)
        is_last[ptr[1:] - 1] = True
        self.piece_start: I64 = np.flatnonzero(~is_last).astype(np.int64)
        self.piece_seg: I32 = (np.searchsorted(ptr, self.piece_start, side="right") - 1).astype(
            np.int32
        )
        a, b = self.piece_start, self.piece_start + 1
        self.ax, self.ay, self.bx, self.by = x[a], y[a], x[b], y[b]
        coords = np.stack([np.stack([self.ax, self.ay], 1), np.stack([self.bx, self.by], 1)], 1)
        self.tree = shapely.STRtree(shapely.linestrings(coords))
        self._build_samples()

    def _build_samples(self) -> None:
        """Points every <= SAMPLE_M metres along every piece, in a KD-tree: any point of a piece
        is within SAMPLE_M / 2 of one of its samples (see ``snap``)."""
        length = np.hypot(self.bx - self.ax, self.by - self.ay)
        steps = np.maximum(np.ceil(length / SAMPLE_M).astype(np.int64), 1)
        piece = np.repeat(np.arange(length.size), steps + 1)
        first = np.repeat(np.cumsum(steps + 1) - (steps + 1), steps + 1)
        t = (np.arange(piece.size) - first) / steps[piece]
        x = self.ax[piece] + t * (self.bx[piece] - self.ax[piece])
        y = self.ay[piece] + t * (self.by[piece] - self.ay[piece])
        self.sample_piece: I64 = piece
        self.samples = cKDTree(np.stack([x, y], 1))

    def snap(self, lat: ArrayLike, lon: ArrayLike) -> Snaps:
        """Nearest road point for each input point, exactly.

        The KD-tree's CANDIDATES nearest samples name candidate pieces, measured exactly. The
        true nearest piece has a sample within (its distance + SAMPLE_M / 2), so when the last
        candidate sample is farther than (best distance + SAMPLE_M / 2) it was among them;
        otherwise (rare: dense junctions) that point asks the STRtree instead."""
        lat_a, lon_a = check_lat_lon_arrays(lat, lon)
        px, py = self.proj.to_xy(lat_a, lon_a)
        k = min(CANDIDATES, self.sample_piece.size)
        sample_d, sample_i = self.samples.query(np.stack([px, py], 1), k=k)
        sample_d, sample_i = sample_d.reshape(px.size, k), sample_i.reshape(px.size, k)
        pieces = self.sample_piece[sample_i]
        distance = self._distance(pieces, px[:, None], py[:, None])
        best = np.argmin(distance, axis=1)
        rows = np.arange(px.size)
        piece = pieces[rows, best]
        unsure = np.flatnonzero(sample_d[:, -1] <= distance[rows, best] + SAMPLE_M / 2)
        if unsure.size and k == CANDIDATES:
            found_in, found = self.tree.query_nearest(
                shapely.points(px[unsure], py[unsure]), all_matches=False
            )
            piece[unsure[found_in]] = found
        return self._project(piece, px, py)

    def _distance(self, piece: I64, px: F64, py: F64) -> F64:
        ax, ay, bx, by = self.ax[piece], self.ay[piece], self.bx[piece], self.by[piece]
        dx, dy = bx - ax, by - ay
        denom = np.where(dx * dx + dy * dy > 0, dx * dx + dy * dy, 1.0)
        t = np.clip(((px - ax) * dx + (py - ay) * dy) / denom, 0.0, 1.0)
        return np.asarray(np.hypot(px - (ax + t * dx), py - (ay + t * dy)))

    def _project(self, piece: I64, px: F64, py: F64) -> Snaps:
        ax, ay, bx, by = self.ax[piece], self.ay[piece], self.bx[piece], self.by[piece]
        dx, dy = bx - ax, by - ay
        denom = dx * dx + dy * dy
        t = np.where(
            denom > 0, ((px - ax) * dx + (py - ay) * dy) / np.where(denom > 0, denom, 1), 0.0
        )
        t = np.clip(t, 0.0, 1.0)
        sx, sy = ax + t * dx, ay + t * dy
        start = self.piece_start[piece]
        along = self.cum_m[start] + t * (self.cum_m[start + 1] - self.cum_m[start])
        seg = self.piece_seg[piece]
        length = self.graph.seg_length_m[seg]
        frac = np.where(length > 0, along / np.where(length > 0, length, 1.0), 0.0)
        # Within a millimetre of an end is *at* that node (rounding must not make a node on a
        # one-way street unreachable from the wrong side).
        frac = np.where(along < END_TOLERANCE_M, 0.0, frac)
        frac = np.where(length - along < END_TOLERANCE_M, 1.0, frac)
        lat, lon = self.proj.to_lat_lon(sx, sy)
        return Snaps(
            seg=seg,
            frac=np.clip(frac, 0.0, 1.0),
            distance_m=np.hypot(px - sx, py - sy),
            lat=lat,
            lon=lon,
            bearing_deg=np.degrees(np.arctan2(dx, dy)) % 360.0,
        )


def nodes_as_snaps(graph: RoadGraph, nodes: ArrayLike) -> Snaps:
    """Snaps that sit exactly on the given graph nodes (for tests and node-based callers)."""
    ids = np.asarray(nodes, dtype=np.int64)
    seg_ids = np.full(ids.size, -1, dtype=np.int64)
    frac = np.zeros(ids.size)
    first_u = _first_index(graph.seg.u, graph.node_count)
    first_v = _first_index(graph.seg.v, graph.node_count)
    use_u = first_u[ids] >= 0
    seg_ids[use_u] = first_u[ids[use_u]]
    seg_ids[~use_u] = first_v[ids[~use_u]]
    frac[~use_u] = 1.0
    lat, lon = graph.node_lat[ids], graph.node_lon[ids]
    return Snaps(
        seg=seg_ids.astype(np.int32), frac=frac, distance_m=np.zeros(ids.size), lat=lat, lon=lon
    )


def _first_index(values: I32, size: int) -> I64:
    first = np.full(size, -1, dtype=np.int64)
    order = np.arange(values.size - 1, -1, -1)
    first[values[order]] = order  # later writes win, so the lowest index stays
    return first
