"""Turn a search tree into a route: the GeoJSON line, metres and seconds actually driven,
including the partial first and last segments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from warroom.geo.graph import F64, RoadGraph
from warroom.geo.shortest import Tree
from warroom.geo.snapping import Snaps

Coords = list[tuple[float, float]]


@dataclass(frozen=True)
class Route:
    seconds: float
    meters: float
    coordinates: Coords  # (lon, lat), as GeoJSON wants
    edges: list[int]  # directed edge ids driven in full, in order

    def geojson(self) -> dict[str, Any]:
        return {"type": "LineString", "coordinates": [list(c) for c in self.coordinates]}

    def as_dict(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 1),
            "meters": round(self.meters, 1),
            "geometry": self.geojson(),
        }


class RouteBuilder:
    def __init__(self, graph: RoadGraph, cumulative_m: F64) -> None:
        self.graph = graph
        self.cum_m = cumulative_m

    def along_segment(self, seg: int, f_from: float, f_to: float) -> tuple[float, float] | None:
        """(seconds, metres) to drive along one segment between two fractions, if allowed."""
        g = self.graph
        share = abs(f_to - f_from)
        if share == 0:
            return 0.0, 0.0
        edge = int(g.seg_fwd_edge[seg] if f_to >= f_from else g.seg_bwd_edge[seg])
        if edge < 0:
            return None
        return share * float(g.edge_time_s[edge]), share * float(g.seg_length_m[seg])

    def partial(self, seg: int, f_from: float, f_to: float) -> Coords:
        """Shape of a segment between two fractions of its length, in driving order."""
        lo, hi = int(self.graph.seg.geom_ptr[seg]), int(self.graph.seg.geom_ptr[seg + 1])
        cum = self.cum_m[lo:hi]
        lat, lon = self.graph.seg.geom_lat[lo:hi], self.graph.seg.geom_lon[lo:hi]
        total = float(cum[-1])
        a, b = sorted((f_from * total, f_to * total))
        inner = [(float(lon[i]), float(lat[i])) for i in range(cum.size) if a < cum[i] < b]
        ends = [self._at(cum, lat, lon, a), *inner, self._at(cum, lat, lon, b)]
        return ends if f_to >= f_from else ends[::-1]

    @staticmethod
    def _at(cum: F64, lat: F64, lon: F64, along: float) -> tuple[float, float]:
        return float(np.interp(along, cum, lon)), float(np.interp(along, cum, lat))

    def direct(self, start: Snaps, end: Snaps, cost: tuple[float, float]) -> Route:
        seg = int(start.seg[0])
        coords = self.partial(seg, float(start.frac[0]), float(end.frac[0]))
        return Route(seconds=cost[0], meters=cost[1], coordinates=coords, edges=[])

    def build(self, tree: Tree, start: Snaps, end: Snaps, last: int) -> Route:
        """The route through the search tree from the start point to ``last``, a node of the
        end point's segment, then along that segment to the end point."""
        assert tree.pred_edge is not None
        g = self.graph
        edges: list[int] = []
        node = last
        while tree.pred_edge[node] >= 0:
            edges.append(int(tree.pred_edge[node]))
            node = int(g.edge_tail[edges[-1]])
        edges.reverse()
        seg0, f0 = int(start.seg[0]), float(start.frac[0])
        first_to = 1.0 if node == int(g.seg.v[seg0]) else 0.0
        coords = self.partial(seg0, f0, first_to)
        seconds, meters = self.along_segment(seg0, f0, first_to) or (0.0, 0.0)
        for edge in edges:
            seg = int(g.edge_seg[edge])
            forward = bool(g.edge_forward[edge])
            coords.extend(self.partial(seg, 0.0 if forward else 1.0, 1.0 if forward else 0.0))
            seconds += float(g.edge_time_s[edge])
            meters += float(g.seg_length_m[seg])
        seg1, f1 = int(end.seg[0]), float(end.frac[0])
        from_frac = 0.0 if last == int(g.seg.u[seg1]) else 1.0
        coords.extend(self.partial(seg1, from_frac, f1))
        tail_cost = self.along_segment(seg1, from_frac, f1) or (0.0, 0.0)
        return Route(
            seconds=seconds + tail_cost[0],
            meters=meters + tail_cost[1],
            coordinates=_dedupe(coords),
            edges=edges,
        )


def _dedupe(coords: Coords) -> Coords:
    out: Coords = []
    for c in coords:
        if not out or out[-1] != c:
            out.append(c)
    return out if len(out) >= 2 else out * 2
