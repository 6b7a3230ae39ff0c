"""How a serving process that runs for months sets up its interpreter once start-up is over:
the garbage collector and the interval at which threads hand over the interpreter lock.

**Collector.** Python's cyclic collector starts a young-generation pass every 700 net
allocations of container objects. A busy ingest builds tens of thousands of short-lived
tuples, dicts and lists a second (decoded fixes, rows, batches) that are still alive when a
pass starts, so they are walked, promoted, and walked again by the older generations: 16 % of
the fleet ingest's CPU went to the collector (perf, 1,000 trackers at 25k positions/s), and a
middle-generation pass over one batch's survivors cost 7 ms. With a young threshold of 20,000
most of those objects are gone before a pass starts (0.3 s of collections instead of 4.9 s
over the same run). Reference counting still frees nearly everything at once; only reference
cycles wait longer, and 20,000 young objects are a few megabytes at most.

What start-up built (modules, routes, caches, registries: about 250,000 objects) lives as long
as the process, yet every full collection walked it again: a 100-300 ms pause that every
request in flight waited through (issue 5's create benchmark, p99 85-95 ms instead of 12 ms
at 200/s). Frozen objects are skipped by the collector. No collection before freezing: on a
big heap (a test run) it would cost more than the little start-up garbage it frees.

**Switch interval.** A thread coming back from C code that released the lock (a database
statement, a file write) waits for the thread holding it to let go, which a busy Python
thread does only every switch interval: 5 ms by default. The fleet writer's commit thread
comes back after every statement; at 5 ms it spent 10 µs a row waiting for the tracker
thread and the event loop. At 0.5 ms the wait shrinks tenfold for a handful more switches a
second between busy threads.
"""

from __future__ import annotations

import gc
import sys
from dataclasses import dataclass

SERVER_GC_THRESHOLDS = (20_000, 10, 10)
SERVER_SWITCH_INTERVAL_S = 0.0005


@dataclass(frozen=True)
class Interpreter:
    """The settings `settle_for_serving` replaced, for `restore`."""

    gc_thresholds: tuple[int, int, int]
    switch_interval_s: float


def settle_for_serving() -> Interpreter:
    """After start-up: freeze what start-up built, raise the young threshold, shorten the
    switch interval. Returns the settings before."""
    before = Interpreter(gc.get_threshold(), sys.getswitchinterval())
    gc.freeze()
    gc.set_threshold(*SERVER_GC_THRESHOLDS)
    sys.setswitchinterval(SERVER_SWITCH_INTERVAL_S)
    return before


def restore(before: Interpreter) -> None:
    """At shutdown: what the process leaves behind can be collected again, and the other
    settings are as they were (tests start many apps in one process)."""
    gc.unfreeze()
    gc.set_threshold(*before.gc_thresholds)
    sys.setswitchinterval(before.switch_interval_s)
