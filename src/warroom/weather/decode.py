"""Station payloads: one JSON report, or a list of them (a station catching up after an outage).

{"observed_at": "2026-11-27T14:05:00+08:00", "values": {"rain_mm": 0.4, "air_temp_c": 28.1}}
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime

from pydantic import TypeAdapter, ValidationError

from warroom.core.clock import utcnow
from warroom.weather.schemas import ObservationIn

MAX_PAYLOAD_BYTES = 256 * 1024
_REPORTS = TypeAdapter(list[ObservationIn])


class PayloadError(ValueError):
    """The payload is not a station report; the message says what is wrong."""


def decode(payload: bytes) -> list[ObservationIn]:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise PayloadError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    try:
        if payload.lstrip()[:1] == b"[":
            return _REPORTS.validate_json(payload)
        return [ObservationIn.model_validate_json(payload)]
    except ValidationError as exc:
        raise PayloadError(describe(exc)) from None


def describe(exc: ValidationError) -> str:
    parts = [f"{'.'.join(map(str, e['loc'])) or 'payload'}: {e['msg']}" for e in exc.errors()[:3]]
    return "; ".join(parts)


@dataclass(frozen=True)
class Rejection:
    at: datetime
    source: str
    station: str
    reason: str


class RejectionLog:
    """The latest refused payloads, so an operator can see why a station's data is missing."""

    def __init__(self, size: int = 200) -> None:
        self._items: deque[Rejection] = deque(maxlen=size)
        self._lock = threading.Lock()
        self.total = 0

    def add(self, source: str, station: str, reason: str) -> None:
        with self._lock:
            self._items.append(Rejection(utcnow(), source, station, reason[:300]))
            self.total += 1

    def recent(self) -> list[Rejection]:
        with self._lock:
            return list(reversed(self._items))
