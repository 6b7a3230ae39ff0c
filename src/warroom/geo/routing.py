"""Travel times and routes over a ``RoadGraph``: point to point, one to many, many to one.

Points are snapped to the nearest segment and charged for the part of it they drive, plus the
straight line from the point to the road at ``access_kmh`` (so a unit parked 300 m down an
unmapped lane is not treated as standing on the main road).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from warroom.geo.coords import check_lat_lon
from warroom.geo.errors import GeoInputError, NoRouteError
from warroom.geo.graph import F64, I32, RoadGraph
from warroom.geo.route_geometry import Route, RouteBuilder
from warroom.geo.shortest import Search, Seed, make_search
from warroom.geo.snapping import EdgeSnapper, Snaps

LatLon = tuple[float, float]
Points = Snaps | tuple[ArrayLike, ArrayLike]

__all__ = ["LatLon", "Route", "Router", "TravelTimes"]


@dataclass(frozen=True)
class TravelTimes:
    """Per target (or per source): seconds and metres, ``inf`` where there is no route."""

    seconds: F64
    meters: F64 | None

    @property
    def reachable(self) -> np.ndarray[Any, np.dtype[np.bool_]]:
        return np.isfinite(self.seconds)


@dataclass(frozen=True)
class _Ends:
    """Seconds and metres between snapped points and their segment's two end nodes; inf where
    the segment may not be driven that way. ``leave_*``: from the point to the node;
    ``arrive_*``: from the node to the point."""

    u: I32
    v: I32
    leave_u: tuple[F64, F64]
    leave_v: tuple[F64, F64]
    arrive_u: tuple[F64, F64]
    arrive_v: tuple[F64, F64]


class Router:
    """Routing over one graph. Build once (snapping index, search structures) and share."""

    def __init__(
        self,
        graph: RoadGraph,
        *,
        access_kmh: float = 15.0,
        max_snap_m: float = 2000.0,
        backend: str = "auto",
    ) -> None:
        self.graph = graph
        self.snapper = EdgeSnapper(graph)
        self.access_mps = access_kmh / 3.6
        self.max_snap_m = max_snap_m
        self.backend = backend
        self._geometry = RouteBuilder(graph, self.snapper.cum_m)
        self._build_lock = threading.Lock()
        self._searches: tuple[Search, Search] | None = None

    def describe(self) -> dict[str, Any]:
        return self.graph.describe()

    def update_segment_speeds(self, *, edge_ids: ArrayLike, speeds_kmh: ArrayLike) -> None:
        """Set live speeds (e.g. GPS probe speeds, km/h) on directed edges; later queries use
        them. Only the search arrays are refreshed, the graph is not rebuilt."""
        ids = np.asarray(edge_ids, dtype=np.int64).reshape(-1)
        kmh = np.asarray(speeds_kmh, dtype=np.float64).reshape(-1)
        if ids.shape != kmh.shape:
            raise GeoInputError(f"{ids.size} edge ids but {kmh.size} speeds")
        self.graph.set_edge_speeds(ids, kmh)
        with self._build_lock:
            self._searches = None

    def reset_speeds(self) -> None:
        """Back to the speeds the graph was built with (tags and class table)."""
        ids = np.arange(self.graph.edge_count)
        self.update_segment_speeds(edge_ids=ids, speeds_kmh=self.graph.edge_base_kmh.copy())

    def _search_graphs(self) -> tuple[Search, Search]:
        with self._build_lock:
            if self._searches is None:
                self._searches = (
                    make_search(self.graph, reverse=False, backend=self.backend),
                    make_search(self.graph, reverse=True, backend=self.backend),
                )
            return self._searches

    def warm_up(self) -> None:
        """Build search structures (and compile the kernel) before the first real query."""
        forward, _ = self._search_graphs()
        forward.search([Seed(0, 0.0, 0.0)], wanted=np.zeros(1, np.int64), with_meters=True)

    def snap(self, lat: ArrayLike, lon: ArrayLike) -> Snaps:
        return self.snapper.snap(lat, lon)

    def probe_edges(
        self,
        *,
        lat: ArrayLike,
        lon: ArrayLike,
        heading_deg: ArrayLike | None = None,
        max_m: float = 30.0,
    ) -> NDArray[np.int64]:
        """Directed edge of each GPS probe, for ``update_segment_speeds``: the nearest road
        within ``max_m``, driven in the direction closer to the probe's heading. -1 when no
        road is near, or when the road is two-way and no heading was given."""
        snaps = self.snapper.snap(lat, lon)
        fwd = self.graph.seg_fwd_edge[snaps.seg].astype(np.int64)
        bwd = self.graph.seg_bwd_edge[snaps.seg].astype(np.int64)
        if heading_deg is None:
            edge = np.where(fwd < 0, bwd, np.where(bwd < 0, fwd, -1))
        else:
            assert snaps.bearing_deg is not None
            heading = np.asarray(heading_deg, dtype=np.float64).reshape(-1)
            turn = np.abs((heading - snaps.bearing_deg + 180.0) % 360.0 - 180.0)
            edge = np.where(turn <= 90.0, fwd, bwd)  # -1 if driving against a one-way
        return np.where(snaps.distance_m <= max_m, edge, -1)

    def _snap_one(self, point: LatLon, role: str) -> Snaps:
        lat, lon = check_lat_lon(*point)
        snap = self.snapper.snap([lat], [lon])
        if snap.distance_m[0] > self.max_snap_m:
            raise NoRouteError(
                f"{role} {lat:.6f},{lon:.6f} is {snap.distance_m[0]:.0f} m from the "
                f"nearest road (more than {self.max_snap_m:.0f} m)"
            )
        return snap

    def _as_snaps(self, points: Points) -> Snaps:
        return points if isinstance(points, Snaps) else self.snapper.snap(*points)

    def _ends(self, snaps: Snaps) -> _Ends:
        g, seg, f = self.graph, snaps.seg, snaps.frac
        length = g.seg_length_m[seg]
        fwd, bwd = g.seg_fwd_edge[seg], g.seg_bwd_edge[seg]
        t_fwd = np.where(fwd >= 0, g.edge_time_s[fwd], np.inf)
        t_bwd = np.where(bwd >= 0, g.edge_time_s[bwd], np.inf)

        def part(share: F64, seconds: F64, allowed: np.ndarray[Any, Any]) -> tuple[F64, F64]:
            # A point at the very end of a segment is that node: no driving, whatever the
            # direction rules of the segment.
            ok = allowed | (share <= 0)
            driven = share * np.where(allowed, seconds, 0.0)
            return np.where(ok, driven, np.inf), np.where(ok, share * length, np.inf)

        return _Ends(
            u=g.seg.u[seg],
            v=g.seg.v[seg],
            leave_u=part(f, t_bwd, bwd >= 0),
            leave_v=part(1 - f, t_fwd, fwd >= 0),
            arrive_u=part(f, t_fwd, fwd >= 0),
            arrive_v=part(1 - f, t_bwd, bwd >= 0),
        )

    def one_to_many(
        self,
        *,
        origin: LatLon,
        targets: Points,
        with_meters: bool = True,
        max_seconds: float | None = None,
    ) -> TravelTimes:
        """Travel times from one point to many (a unit to every open incident, say).
        ``max_seconds`` bounds the search: targets farther away come back as ``inf``."""
        start, many = self._snap_one(origin, "origin"), self._as_snaps(targets)
        return self._fan(
            start, many, reverse=False, with_meters=with_meters, max_seconds=max_seconds
        )

    def many_to_one(
        self,
        *,
        sources: Points,
        destination: LatLon,
        with_meters: bool = True,
        max_seconds: float | None = None,
    ) -> TravelTimes:
        """Travel times from many points to one (every candidate unit to the incident), in one
        search over the reversed graph; ``max_seconds`` as for ``one_to_many``."""
        end, many = self._snap_one(destination, "destination"), self._as_snaps(sources)
        return self._fan(end, many, reverse=True, with_meters=with_meters, max_seconds=max_seconds)

    def _fan(
        self,
        one: Snaps,
        many: Snaps,
        *,
        reverse: bool,
        with_meters: bool,
        max_seconds: float | None,
    ) -> TravelTimes:
        search = self._search_graphs()[1 if reverse else 0]
        e1, ends = self._ends(one), self._ends(many)
        # Forward: leave the origin point towards its nodes, arrive at each target from its
        # nodes. Reversed: the same with the roles of leaving and arriving swapped.
        first_u, first_v = (e1.arrive_u, e1.arrive_v) if reverse else (e1.leave_u, e1.leave_v)
        via_u, via_v = (ends.leave_u, ends.leave_v) if reverse else (ends.arrive_u, ends.arrive_v)
        seeds = [
            Seed(int(node[0]), float(cost[0][0]), float(cost[1][0]))
            for node, cost in ((e1.u, first_u), (e1.v, first_v))
            if np.isfinite(cost[0][0])
        ]
        wanted = np.concatenate([ends.u, ends.v]).astype(np.int64)
        limit = np.inf if max_seconds is None else float(max_seconds)
        tree = search.search(seeds, wanted=wanted, with_meters=with_meters, limit_s=limit)
        cost_u, cost_v = tree.seconds[ends.u] + via_u[0], tree.seconds[ends.v] + via_v[0]
        seconds = np.minimum(cost_u, cost_v)
        meters = None
        if tree.meters is not None:
            meters = np.where(
                cost_u <= cost_v, tree.meters[ends.u] + via_u[1], tree.meters[ends.v] + via_v[1]
            )
        self._same_segment(one, many, seconds, meters, reverse=reverse)
        seconds += many.distance_m / self.access_mps + float(one.distance_m[0]) / self.access_mps
        seconds[many.distance_m > self.max_snap_m] = np.inf
        seconds[seconds > limit] = np.inf
        if meters is not None:
            meters = np.where(
                np.isfinite(seconds), meters + many.distance_m + float(one.distance_m[0]), np.inf
            )
        return TravelTimes(seconds=seconds, meters=meters)

    def _same_segment(
        self, one: Snaps, many: Snaps, seconds: F64, meters: F64 | None, *, reverse: bool
    ) -> None:
        """Points on the one point's own segment may be reached along it without any node."""
        for i in np.flatnonzero(many.seg == one.seg[0]).tolist():
            f_from, f_to = (many.frac[i], one.frac[0]) if reverse else (one.frac[0], many.frac[i])
            direct = self._geometry.along_segment(int(one.seg[0]), float(f_from), float(f_to))
            if direct is not None and direct[0] < seconds[i]:
                seconds[i] = direct[0]
                if meters is not None:
                    meters[i] = direct[1]

    def route(self, origin: LatLon, destination: LatLon) -> Route:
        """Fastest route with its GeoJSON line; NoRouteError when the network has none."""
        start, end = self._snap_one(origin, "origin"), self._snap_one(destination, "destination")
        e1, e2 = self._ends(start), self._ends(end)
        seeds = [
            Seed(int(node[0]), float(cost[0][0]), float(cost[1][0]))
            for node, cost in ((e1.u, e1.leave_u), (e1.v, e1.leave_v))
            if np.isfinite(cost[0][0])
        ]
        wanted = np.array([e2.u[0], e2.v[0]], dtype=np.int64)
        tree = self._search_graphs()[0].search(
            seeds, wanted=wanted, with_meters=False, with_pred=True
        )
        best_s, last = min(
            (float(tree.seconds[e2.u[0]] + e2.arrive_u[0][0]), int(e2.u[0])),
            (float(tree.seconds[e2.v[0]] + e2.arrive_v[0][0]), int(e2.v[0])),
        )
        direct = None
        if start.seg[0] == end.seg[0]:
            direct = self._geometry.along_segment(
                int(start.seg[0]), float(start.frac[0]), float(end.frac[0])
            )
        if direct is not None and direct[0] <= best_s:
            route = self._geometry.direct(start, end, direct)
        elif np.isfinite(best_s):
            route = self._geometry.build(tree, start, end, last)
        else:
            raise NoRouteError(
                f"no route from {origin[0]},{origin[1]} to "
                f"{destination[0]},{destination[1]} on the road network"
            )
        access_m = float(start.distance_m[0] + end.distance_m[0])
        return Route(
            seconds=route.seconds + access_m / self.access_mps,
            meters=route.meters + access_m,
            coordinates=route.coordinates,
            edges=route.edges,
        )
