"""Compiled shortest travel times for one-to-many queries (numba, when installed).

Unlike scipy's csgraph Dijkstra this kernel starts from several seed nodes with their own costs
(the partial first segment), sums metres along the chosen paths as it goes, stops once every
wanted node is final, and records the predecessor *edge* (parallel ways are told apart).

The queue is a circular array of buckets, each ``delta`` seconds wide, holding doubly linked
lists of nodes (Dial's algorithm generalised to real-valued times). Nodes inside one bucket are
processed in any order and re-processed if improved again (label-correcting), so results are
exact for any ``delta``; a bucket is final once it is empty, because every edge leads to the
same or a later bucket. With ``delta`` about half the median edge time, pushes and pops are O(1)
and a 115k-node city grid ran 1.6x faster than with a 4-ary heap.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

import numpy as np

HAVE_NUMBA = importlib.util.find_spec("numba") is not None  # optional: scipy otherwise


def bucket_width(time_s: Any) -> tuple[float, int]:
    """(delta, bucket count) for a graph's edge times; the ring must span the longest edge."""
    longest = float(time_s.max()) if time_s.size else 1.0
    delta = max(float(np.median(time_s)) / 2 if time_s.size else 1.0, longest / 1e6, 1e-6)
    return delta, int(longest / delta) + 3


class Workspace:
    """Per-thread scratch arrays, reused between searches: allocating ~6 MB of fresh pages per
    query on a 100k-node graph cost more than a millisecond in page faults."""

    def __init__(self, nodes: int, buckets: int) -> None:
        self.dist = np.empty(nodes)
        self.meters = np.empty(nodes)
        self.pred = np.empty(nodes, np.int32)
        self.nxt = np.empty(nodes, np.int32)
        self.prv = np.empty(nodes, np.int32)
        self.slot = np.empty(nodes, np.int32)
        self.done = np.empty(nodes, np.int32)
        self.wanted = np.empty(nodes, np.bool_)
        self.first = np.empty(buckets, np.int32)

    def arrays(self) -> tuple[Any, ...]:
        return (
            self.dist,
            self.meters,
            self.pred,
            self.nxt,
            self.prv,
            self.slot,
            self.done,
            self.wanted,
            self.first,
        )


def _bucket_search(
    indptr: Any,
    head: Any,
    time_s: Any,
    length_m: Any,
    seed_nodes: Any,
    seed_s: Any,
    seed_m: Any,
    wanted_nodes: Any,
    delta: float,
    limit_s: float,
    dist: Any,
    meters: Any,
    pred: Any,
    nxt: Any,
    prv: Any,
    slot: Any,
    done: Any,
    wanted: Any,
    first: Any,
) -> None:
    """Fills ``dist`` (seconds), ``meters`` and ``pred`` (edge position) per node; only wanted
    nodes are sure to be final when the search stops early. The other arrays are scratch
    (see Workspace). Linking code is inline: numba ran helper calls slower."""
    n_buckets = first.size
    dist[:] = np.inf
    meters[:] = np.inf
    pred[:] = -1
    slot[:] = -1  # bucket holding the node, -1 when not queued
    first[:] = -1
    wanted[:] = False
    remaining = 0
    for t in wanted_nodes:
        if not wanted[t]:
            wanted[t] = True
            remaining += 1
    queued = 0
    current = np.iinfo(np.int64).max
    for i in range(seed_nodes.size):
        y, nd = seed_nodes[i], seed_s[i]
        if nd >= dist[y]:
            continue
        if slot[y] >= 0:
            if prv[y] >= 0:
                nxt[prv[y]] = nxt[y]
            else:
                first[slot[y]] = nxt[y]
            if nxt[y] >= 0:
                prv[nxt[y]] = prv[y]
            queued -= 1
        dist[y], meters[y] = nd, seed_m[i]
        k = int(nd / delta)
        current = min(current, k)
        b = k % n_buckets
        prv[y], nxt[y] = -1, first[b]
        if first[b] >= 0:
            prv[first[b]] = y
        first[b], slot[y] = y, b
        queued += 1
    while queued > 0:
        if current * delta > limit_s:
            break  # everything below the limit is final
        b = current % n_buckets
        n_done = 0
        while first[b] >= 0:
            x = first[b]
            first[b] = nxt[x]
            if nxt[x] >= 0:
                prv[nxt[x]] = -1
            slot[x] = -1
            queued -= 1
            done[n_done] = x
            n_done += 1
            d = dist[x]
            for e in range(indptr[x], indptr[x + 1]):
                y = head[e]
                nd = d + time_s[e]
                if nd >= dist[y]:
                    continue
                if slot[y] >= 0:  # unlink from its old bucket
                    if prv[y] >= 0:
                        nxt[prv[y]] = nxt[y]
                    else:
                        first[slot[y]] = nxt[y]
                    if nxt[y] >= 0:
                        prv[nxt[y]] = prv[y]
                    queued -= 1
                dist[y], meters[y], pred[y] = nd, meters[x] + length_m[e], e
                bb = int(nd / delta) % n_buckets
                prv[y], nxt[y] = -1, first[bb]
                if first[bb] >= 0:
                    prv[first[bb]] = y
                first[bb], slot[y] = y, bb
                queued += 1
        if remaining > 0:  # the nodes of this bucket are final now
            for i in range(n_done):
                if wanted[done[i]]:
                    wanted[done[i]] = False
                    remaining -= 1
            if remaining == 0:
                break
        current += 1


if HAVE_NUMBA:
    from numba import njit  # type: ignore[import-untyped, unused-ignore]

    search_kernel: Callable[..., Any] = njit(cache=True, nogil=True)(_bucket_search)
else:  # pragma: no cover - installs without numba use the scipy backend
    search_kernel = _bucket_search
