"""A small per-process cache whose entries expire: for data read on every request that changes
rarely (credentials, reference regions, the gazetteer), where a bounded staleness is cheaper
than a database round trip each time.

Thread-safe (request handlers run in a thread pool). With ``max_entries`` the least recently
written entries go first, so a flood of distinct keys (say, guessed tokens) cannot grow memory.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    def __init__(self, ttl_seconds: float, *, max_entries: int | None = None) -> None:
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._items: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()  # guards _items
        self._build_lock = threading.Lock()  # one build at a time: no stampede on expiry

    def lookup(self, key: K) -> tuple[bool, V | None]:
        """(True, value) for a fresh entry, else (False, None); a cached None is a hit."""
        with self._lock:
            hit = self._items.get(key)
            if hit is None or hit[0] <= time.monotonic():
                return False, None
            return True, hit[1]

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = (time.monotonic() + self.ttl_seconds, value)
            self._items.move_to_end(key)
            while self.max_entries is not None and len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def get_or_build(self, key: K, build: Callable[[], V]) -> V:
        """The fresh value for ``key``, building it at most once at a time per cache."""
        found, value = self.lookup(key)
        if found:
            return value  # type: ignore[return-value]
        with self._build_lock:
            found, value = self.lookup(key)  # another thread may have built it meanwhile
            if found:
                return value  # type: ignore[return-value]
            built = build()
            self.put(key, built)
            return built

    def drop(self, key: K) -> None:
        with self._lock:
            self._items.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
