"""Shared set-up for the emergency benchmarks: a fresh migrated SQLite database."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from warroom.core import migrate
from warroom.core.db import Database


def fresh_database() -> Database:
    path = Path(tempfile.mkdtemp(prefix="warroom-bench-")) / "bench.db"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db)
    return db


def percentiles(seconds: list[float]) -> dict[str, float]:
    ms = np.asarray(seconds) * 1000
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
        "max_ms": round(float(ms.max()), 2),
        "runs": int(ms.size),
    }


def clock() -> float:
    return time.perf_counter()
