"""The per-process expiring cache behind credentials, regions and the gazetteer."""

from __future__ import annotations

import threading
import time

import pytest

from warroom.core import ttlcache
from warroom.core.ttlcache import TtlCache


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    fake = _Clock()
    monkeypatch.setattr(ttlcache.time, "monotonic", fake)
    return fake


def test_entries_expire_after_the_ttl(clock: _Clock) -> None:
    cache: TtlCache[str, int] = TtlCache(10.0)
    cache.put("a", 1)
    clock.now += 9.9
    assert cache.lookup("a") == (True, 1)
    clock.now += 0.2
    assert cache.lookup("a") == (False, None)


def test_a_cached_none_is_a_hit(clock: _Clock) -> None:
    """An unknown token is remembered as unknown: guessing costs no database query."""
    cache: TtlCache[str, int | None] = TtlCache(10.0)
    cache.put("guessed", None)
    assert cache.lookup("guessed") == (True, None)


def test_the_oldest_entries_go_beyond_max_entries(clock: _Clock) -> None:
    cache: TtlCache[int, int] = TtlCache(10.0, max_entries=2)
    for key in range(3):
        cache.put(key, key)
    assert [cache.lookup(key)[0] for key in range(3)] == [False, True, True]


def test_drop_and_clear(clock: _Clock) -> None:
    cache: TtlCache[str, int] = TtlCache(10.0)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.drop("a")
    assert cache.lookup("a") == (False, None) and cache.lookup("b") == (True, 2)
    cache.clear()
    assert cache.lookup("b") == (False, None)


def test_concurrent_misses_build_once() -> None:
    cache: TtlCache[str, int] = TtlCache(60.0)
    builds: list[int] = []

    def build() -> int:
        time.sleep(0.05)  # long enough for every thread to miss first
        builds.append(1)
        return 42

    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get_or_build("k", build)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [42] * 8 and len(builds) == 1


def test_a_ttl_must_be_positive() -> None:
    with pytest.raises(ValueError, match="ttl_seconds must be positive"):
        TtlCache(0)
