"""The shared GPS test vectors and how a decoder's output is compared with them."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

VECTORS_FILE = Path(__file__).resolve().parents[3] / "shared/fixtures/gps/vectors.json"
TOLERANCE = {"lat": 1e-5, "lon": 1e-5, "speed_kmh": 0.01}
DEFAULT_TOLERANCE = 1e-6


def load() -> list[dict[str, Any]]:
    return list(json.loads(VECTORS_FILE.read_text())["vectors"])


def message_bytes(vector: dict[str, Any]) -> bytes:
    text: str = vector["message"]
    return bytes.fromhex(text) if vector["format"] == "hex" else text.encode()


def _millis(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _same(key: str, expected: Any, actual: Any) -> bool:
    if key == "time":
        return isinstance(actual, str) and _millis(expected) == _millis(actual)
    if key == "attributes":
        return all(_same(name, value, actual.get(name)) for name, value in expected.items())
    if isinstance(expected, bool | str) or expected is None:
        return bool(expected == actual)
    if isinstance(expected, int | float):
        if isinstance(actual, bool) or not isinstance(actual, int | float):
            return False
        return abs(expected - actual) <= TOLERANCE.get(key, DEFAULT_TOLERANCE)
    return bool(expected == actual)


def mismatches(expected: list[dict[str, Any]], actual: list[dict[str, Any]]) -> list[str]:
    """Human-readable differences; only the keys the vector gives are checked."""
    if len(expected) != len(actual):
        return [f"expected {len(expected)} records, got {len(actual)}: {actual}"]
    problems = []
    for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
        for key, value in want.items():
            if not _same(key, value, got.get(key)):
                problems.append(f"record {index} {key}: expected {value!r}, got {got.get(key)!r}")
    return problems
