"""Per-process caches of the region index and the gazetteer.

Both are built from the database (regions, places) and both are read on hot paths: every
incident created, every address a call-taker types, every reverse lookup. Rebuilding them per
call costs far more than the call itself, while the data behind them changes only on imports,
so each process keeps them for a few minutes (``clear()`` after an import in this process).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from warroom.geo.gazetteer import Gazetteer
from warroom.geo.places_service import load_gazetteer
from warroom.geo.region_index import RegionIndex, load_region_index

CACHE_SECONDS = 300.0
T = TypeVar("T")


class _PerDatabase(Generic[T]):
    def __init__(self, build: Callable[[Session], T]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._items: dict[str, tuple[float, T]] = {}

    def get(self, session: Session) -> T:
        key = str(session.get_bind().engine.url)
        with self._lock:
            hit = self._items.get(key)
            if hit is None or time.monotonic() - hit[0] > CACHE_SECONDS:
                hit = (time.monotonic(), self._build(session))
                self._items[key] = hit
            return hit[1]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_regions = _PerDatabase(lambda session: load_region_index(session=session))
_gazetteers = _PerDatabase(lambda session: load_gazetteer(session=session))


def region_index(session: Session) -> RegionIndex:
    return _regions.get(session)


def gazetteer(session: Session) -> Gazetteer:
    return _gazetteers.get(session)


def clear() -> None:
    _regions.clear()
    _gazetteers.clear()
