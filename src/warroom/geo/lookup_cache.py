"""Per-process caches of the region index and the gazetteer.

Both are built from the database (regions, places) and both are read on hot paths: every
incident created, every address a call-taker types, every reverse lookup. Rebuilding them per
call costs far more than the call itself, while the data behind them changes only on imports,
so each process keeps them for a few minutes (``clear()`` after an import in this process).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from warroom.core.ttlcache import TtlCache
from warroom.geo.gazetteer import Gazetteer
from warroom.geo.places_service import load_gazetteer
from warroom.geo.region_index import RegionIndex, load_region_index

CACHE_SECONDS = 300.0
T = TypeVar("T")


class _PerDatabase(Generic[T]):
    """One value per database URL (tests and tools open several databases in one process)."""

    def __init__(self, build: Callable[[Session], T]) -> None:
        self._build = build
        self._cache: TtlCache[str, T] = TtlCache(CACHE_SECONDS)

    def get(self, session: Session) -> T:
        key = str(session.get_bind().engine.url)
        return self._cache.get_or_build(key, lambda: self._build(session))

    def clear(self) -> None:
        self._cache.clear()


_regions = _PerDatabase(lambda session: load_region_index(session=session))
_gazetteers = _PerDatabase(lambda session: load_gazetteer(session=session))


def region_index(session: Session) -> RegionIndex:
    return _regions.get(session)


def gazetteer(session: Session) -> Gazetteer:
    return _gazetteers.get(session)


def clear() -> None:
    _regions.clear()
    _gazetteers.clear()
