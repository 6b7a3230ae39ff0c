"""Single-source shortest travel times over one direction of a ``RoadGraph``.

Two interchangeable backends, both starting from *seeds*: the one or two graph nodes next to a
snapped point, each with the cost of the partial segment driven to reach it.

* ``KernelSearch`` (numba installed): the compiled Dijkstra in ``kernels.py``; stops once every
  wanted node is settled and sums metres on the way.
* ``ScipySearch`` (fallback): scipy's Dijkstra on a CSR matrix with one extra *virtual* row
  holding the seeds; parallel edges collapse to the fastest one, because a sparse matrix holds
  one weight per (row, column). Metres are summed afterwards over the predecessor tree.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy.sparse import csr_matrix  # type: ignore[import-untyped, unused-ignore]
from scipy.sparse.csgraph import dijkstra  # type: ignore[import-untyped, unused-ignore]

from warroom.geo.graph import F64, I64, RoadGraph
from warroom.geo.kernels import HAVE_NUMBA, Workspace, bucket_width, search_kernel

NO_PRED = -9999  # scipy's marker for "no predecessor"


@dataclass(frozen=True)
class Seed:
    node: int
    seconds: float
    meters: float


@dataclass(frozen=True)
class Tree:
    """Search result. Only the wanted nodes are guaranteed final when the search stopped early."""

    seconds: F64
    meters: F64 | None
    pred_edge: I64 | None  # edge id that reached each node (-1 for seeds and unreached)


class Search(Protocol):
    def search(
        self,
        seeds: list[Seed],
        *,
        wanted: I64,
        with_meters: bool,
        with_pred: bool = False,
        limit_s: float = np.inf,
    ) -> Tree: ...


class KernelSearch:
    """One direction of the graph as CSR arrays for the compiled kernel."""

    def __init__(self, graph: RoadGraph, *, reverse: bool) -> None:
        if reverse:
            order = np.argsort(graph.edge_head, kind="stable")
            tails, heads = graph.edge_head[order], graph.edge_tail[order]
        else:
            order = np.arange(graph.edge_count)
            tails, heads = graph.edge_tail, graph.edge_head
        self.edge_id: I64 = order.astype(np.int64)
        self.indptr = np.zeros(graph.node_count + 1, dtype=np.int32)
        self.indptr[1:] = np.cumsum(np.bincount(tails, minlength=graph.node_count))
        self.head = heads.astype(np.int32)
        self.time_s = np.ascontiguousarray(graph.edge_time_s[order])
        self.length_m = np.ascontiguousarray(graph.edge_length_m[order])
        self.delta, self.n_buckets = bucket_width(self.time_s)
        self._local = threading.local()

    def _workspace(self) -> Workspace:
        work: Workspace | None = getattr(self._local, "work", None)
        if work is None:
            work = self._local.work = Workspace(self.indptr.size - 1, self.n_buckets)
        return work

    def search(
        self,
        seeds: list[Seed],
        *,
        wanted: I64,
        with_meters: bool,
        with_pred: bool = False,
        limit_s: float = np.inf,
    ) -> Tree:
        work = self._workspace()
        search_kernel(
            self.indptr,
            self.head,
            self.time_s,
            self.length_m,
            np.array([s.node for s in seeds], dtype=np.int32),
            np.array([max(s.seconds, 0.0) for s in seeds]),
            np.array([s.meters for s in seeds]),
            np.asarray(wanted, dtype=np.int32),
            self.delta,
            limit_s,
            *work.arrays(),
        )
        dist, meters, pred = work.dist, work.meters, work.pred
        if np.isfinite(limit_s):
            dist[dist > limit_s] = np.inf  # beyond the limit: unknown, not merely tentative
        pred_edge = None
        if with_pred:  # pred holds positions in this direction's arrays; map to edge ids
            pred_edge = np.where(pred >= 0, self.edge_id[np.maximum(pred, 0)], -1)
        return Tree(seconds=dist, meters=meters if with_meters else None, pred_edge=pred_edge)


class ScipySearch:
    """scipy fallback; see the module docstring. Queries hold a lock (the virtual row)."""

    def __init__(self, graph: RoadGraph, *, reverse: bool) -> None:
        n = self.n = graph.node_count
        tails, heads = (
            (graph.edge_head, graph.edge_tail) if reverse else (graph.edge_tail, graph.edge_head)
        )
        keys = tails.astype(np.int64) * n + heads
        order = np.lexsort((graph.edge_time_s, keys))
        first = np.concatenate([[True], keys[order][1:] != keys[order][:-1]])
        chosen = order[first]
        self.pair_edge: I64 = chosen.astype(np.int64)
        self.pair_tail, pair_head = tails[chosen].astype(np.int64), heads[chosen]
        self.pair_len: F64 = graph.edge_length_m[chosen]
        indptr = np.zeros(n + 2, dtype=np.int32)
        np.cumsum(np.bincount(self.pair_tail, minlength=n), out=indptr[1 : n + 1])
        indptr[-1] = indptr[-2] + 2
        indices = np.concatenate([pair_head, [n, n]]).astype(np.int32)
        data = np.concatenate([graph.edge_time_s[chosen], [1.0, 1.0]])
        self.matrix = csr_matrix((data, indices, indptr), shape=(n + 1, n + 1))
        self._slots = slice(int(indptr[-2]), int(indptr[-1]))
        self._lock = threading.Lock()
        self._edge_len = graph.edge_length_m
        self._edge_tail = tails.astype(np.int64)  # the tail in this search's direction

    def search(
        self,
        seeds: list[Seed],
        *,
        wanted: I64,
        with_meters: bool,
        with_pred: bool = False,
        limit_s: float = np.inf,
    ) -> Tree:
        nodes = [s.node for s in seeds][:2] + [self.n] * (2 - len(seeds))
        costs = [max(s.seconds, 0.0) for s in seeds][:2] + [1.0] * (2 - len(seeds))
        with self._lock:
            self.matrix.indices[self._slots] = nodes
            self.matrix.data[self._slots] = costs
            dist, pred = dijkstra(
                self.matrix, indices=self.n, return_predecessors=True, limit=limit_s
            )
        if not (with_pred or with_meters):
            return Tree(seconds=dist[: self.n], meters=None, pred_edge=None)
        pred_edge = self._pred_edges(pred[: self.n].astype(np.int64))
        meters = self._tree_meters(pred_edge, seeds) if with_meters else None
        return Tree(seconds=dist[: self.n], meters=meters, pred_edge=pred_edge)

    def _pred_edges(self, pred: I64) -> I64:
        """Edge id of each tree link, found by binary search in the sorted (tail, head) keys."""
        out = np.full(self.n, -1, dtype=np.int64)
        linked = np.flatnonzero((pred >= 0) & (pred < self.n))
        keys = self.pair_tail * self.n + self.matrix.indices[: self.pair_edge.size]
        pos = np.searchsorted(keys, pred[linked] * self.n + linked)
        out[linked] = self.pair_edge[pos]
        return out

    def _tree_meters(self, pred_edge: I64, seeds: list[Seed]) -> F64:
        """Sum link lengths up the tree by pointer jumping: log2(depth) vectorised passes."""
        link = np.full(self.n, np.inf)
        linked = pred_edge >= 0
        link[linked] = self._edge_len[pred_edge[linked]]
        anc = np.full(self.n, -1, dtype=np.int64)
        anc[linked] = self._edge_tail[pred_edge[linked]]
        for s in seeds:
            if pred_edge[s.node] < 0:
                link[s.node] = s.meters
        active = np.flatnonzero(anc >= 0)
        while active.size:
            up = anc[active]
            link[active] += link[up]
            anc[active] = anc[up]
            active = active[anc[active] >= 0]
        return link


def make_search(graph: RoadGraph, *, reverse: bool, backend: str = "auto") -> Search:
    """``backend``: "numba", "scipy" or "auto" (numba when installed)."""
    if backend == "numba" or (backend == "auto" and HAVE_NUMBA):
        if not HAVE_NUMBA:
            raise RuntimeError("the numba routing backend needs the numba package")
        return KernelSearch(graph, reverse=reverse)
    return ScipySearch(graph, reverse=reverse)
