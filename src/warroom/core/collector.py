"""Garbage-collector settings for a server process that runs for months.

Python's cyclic collector starts a young-generation pass every 700 net allocations of
container objects. A busy ingest builds tens of thousands of short-lived tuples, dicts and
lists a second (decoded fixes, rows, batches) that are still alive when a pass starts, so they
are walked, promoted, and walked again by the older generations: 16 % of the fleet ingest's
CPU went to the collector (perf, 1,000 trackers at 25k positions/s), and a middle-generation
pass over one batch's survivors cost 7 ms. With a young threshold of 20,000 most of those
objects are gone before a pass starts (0.3 s of collections instead of 4.9 s over the same
run). Reference counting still frees nearly everything at once; only reference cycles wait
longer, and 20,000 young objects are a few megabytes at most.

What start-up built (modules, routes, caches, registries: about 250,000 objects) lives as long
as the process, yet every full collection walked it again: a 100-300 ms pause that every
request in flight waited through (issue 5's create benchmark, p99 85-95 ms instead of 12 ms
at 200/s). Frozen objects are skipped by the collector. No collection before freezing: on a
big heap (a test run) it would cost more than the little start-up garbage it frees.
"""

from __future__ import annotations

import gc

SERVER_THRESHOLDS = (20_000, 10, 10)


def settle_for_serving() -> tuple[int, int, int]:
    """After start-up: freeze what start-up built and raise the young threshold. Returns
    the thresholds before, for `restore`."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*SERVER_THRESHOLDS)
    return before


def restore(thresholds: tuple[int, int, int]) -> None:
    """At shutdown: what the process leaves behind can be collected again (tests start many
    apps in one process)."""
    gc.unfreeze()
    gc.set_threshold(*thresholds)
