"""The ingest pipeline shared by MQTT and HTTP: validate, quality-control, store, evaluate.

One call handles one batch in one transaction (group commit): a batched Core insert of the
readings, an upsert of each datastream's latest value, the threshold alerts that changed and one
``ObservationsIngested`` event. QC and rain windows live in memory between batches (loaded from
the database the first time a datastream is seen) so a batch costs no per-reading queries; if a
batch fails, that memory is dropped and reloaded, so it never drifts from what was committed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.core import outbox
from warroom.core.clock import utcnow
from warroom.core.db import Database
from warroom.weather import alerts, catalogue, qc, thresholds
from warroom.weather.config import WeatherSettings
from warroom.weather.events import ObservationsIngested
from warroom.weather.models import WeatherAlert, WeatherLatest, WeatherObservation
from warroom.weather.schemas import IngestReport, ObservationIn
from warroom.weather.upsert import insert_ignoring_duplicates, upsert_latest

WITA = timezone(timedelta(hours=8), "WITA")  # Makassar's days run midnight to midnight WITA
CATALOGUE_TTL = 30.0  # seconds; an unknown station code also triggers a reload (at most 1/s)
THRESHOLD_KINDS = ("rain_1h", "rain_24h", "water_level")
MAX_EVENT_STATIONS = 500


@dataclass
class _Batch:
    """What one batch collects before it is written."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    latest: dict[int, dict[str, Any]] = field(default_factory=dict)
    rain: dict[str, catalogue.Station] = field(default_factory=dict)
    levels: dict[str, tuple[catalogue.Station, float]] = field(default_factory=dict)
    summary: dict[str, dict[str, float]] = field(default_factory=dict)
    rejected: list[str] = field(default_factory=list)
    flagged: int = 0


class Ingestor:
    """Thread-safe: the MQTT worker and HTTP handlers share one instance per process."""

    def __init__(
        self,
        db: Database,
        settings: WeatherSettings,
        *,
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._db, self._settings, self._on_commit = db, settings, on_commit
        self._lock = threading.Lock()
        self._stations: dict[str, catalogue.Station] = {}
        self._states: dict[int, qc.StreamState] = {}
        self._open: dict[str, str] = {}  # alert key -> level, for threshold alerts
        self._loaded_at = float("-inf")

    def invalidate(self) -> None:
        """Reload stations and thresholds before the next batch (after an edit)."""
        with self._lock:
            self._loaded_at = float("-inf")

    def ingest(self, reports: Sequence[tuple[str, ObservationIn]]) -> IngestReport:
        with self._lock:
            try:
                report = self._ingest(reports)
            except Exception:
                self._states.clear()
                self._loaded_at = float("-inf")
                raise
        self._on_commit()
        return report

    def _ingest(self, reports: Sequence[tuple[str, ObservationIn]]) -> IngestReport:
        self._refresh({code for code, _ in reports})
        batch, now = _Batch(), utcnow()
        with self._db.write() as session:
            for code, report in reports:
                self._check_report(session, batch, code, report, now)
            if batch.rows:
                insert_ignoring_duplicates(session, WeatherObservation, batch.rows)
                upsert_latest(session, WeatherLatest, list(batch.latest.values()))
                self._evaluate(session, batch)
                outbox.enqueue(session, _summary_event(batch))
        return IngestReport(
            accepted=len(batch.rows), flagged=batch.flagged, rejected=batch.rejected
        )

    def _refresh(self, codes: set[str]) -> None:
        age = time.monotonic() - self._loaded_at
        if age < CATALOGUE_TTL and (codes <= self._stations.keys() or age < 1.0):
            return
        with self._db.read() as session:
            self._stations = catalogue.load(
                session,
                stuck_count=self._settings.stuck_count,
                gap_factor=self._settings.gap_factor,
            )
            self._open = {
                a.key: a.level
                for a in session.scalars(
                    select(WeatherAlert).where(
                        WeatherAlert.closed_at.is_(None), WeatherAlert.kind.in_(THRESHOLD_KINDS)
                    )
                )
            }
        self._loaded_at = time.monotonic()

    def _check_report(
        self, session: Session, batch: _Batch, code: str, report: ObservationIn, now: datetime
    ) -> None:
        station = self._stations.get(code)
        if station is None:
            batch.rejected.append(f"unknown station {code!r}")
            return
        if not station.active:
            batch.rejected.append(f"station {code!r} is deactivated")
            return
        for quantity, value in report.values.items():
            stream = station.streams.get(quantity)
            if stream is None:
                batch.rejected.append(f"station {code!r} does not measure {quantity!r}")
                continue
            self._check_reading(session, batch, station, stream, report.observed_at, value, now)

    def _check_reading(
        self,
        session: Session,
        batch: _Batch,
        station: catalogue.Station,
        stream: catalogue.Stream,
        when: datetime,
        value: float,
        now: datetime,
    ) -> None:
        state = self._state(session, stream)
        flags = qc.check(stream.rules, state, when, value, now)
        batch.rows.append(
            {
                "datastream_id": stream.id,
                "observed_at": when,
                "local_day": when.astimezone(WITA).date(),
                "value": value,
                "qc_flags": flags,
                "received_at": now,
            }
        )
        batch.flagged += bool(flags)
        if flags & qc.Flag.OUT_OF_ORDER:
            return  # older than what we have: stored, but changes neither latest nor alerts
        batch.latest[stream.id] = {
            "datastream_id": stream.id,
            "observed_at": when,
            "value": value,
            "qc_flags": flags,
        }
        if len(batch.summary) < MAX_EVENT_STATIONS or station.facts.code in batch.summary:
            batch.summary.setdefault(station.facts.code, {})[stream.quantity] = value
        if flags & qc.BAD:
            return
        if stream.quantity == "rain_mm":
            qc.add_to_window(state, when, value)
            batch.rain[station.facts.code] = station
        elif stream.quantity == "water_level_m":
            batch.levels[station.facts.code] = (station, value)

    def _state(self, session: Session, stream: catalogue.Stream) -> qc.StreamState:
        state = self._states.get(stream.id)
        if state is None:
            state = _load_state(session, stream)
            self._states[stream.id] = state
        return state

    def _evaluate(self, session: Session, batch: _Batch) -> None:
        minimum = self._settings.rain_alert_category
        wanted: list[tuple[str, alerts.AlertSpec | None]] = []
        for station in batch.rain.values():
            state = self._states[station.streams["rain_mm"].id]
            wanted.extend(thresholds.rain_alerts(station.facts, state, minimum))
        for station, level in batch.levels.values():
            wanted.append(thresholds.water_level_alert(station.facts, level))
        for key, spec in wanted:
            self._apply(session, key, spec)

    def _apply(self, session: Session, key: str, spec: alerts.AlertSpec | None) -> None:
        current = self._open.get(key)
        if spec is None and current is not None:
            alerts.clear_alert(session, key=key, reason="below threshold")
            del self._open[key]
        elif spec is not None and spec.level != current:
            alerts.raise_alert(session, spec=spec)
            self._open[key] = spec.level


def _load_state(session: Session, stream: catalogue.Stream) -> qc.StreamState:
    """The memory of a datastream seen for the first time: its last reading and, for rain, the
    good readings of the 24 hours before it."""
    state = qc.StreamState()
    last = session.execute(
        select(WeatherObservation.observed_at, WeatherObservation.value)
        .where(WeatherObservation.datastream_id == stream.id)
        .order_by(WeatherObservation.observed_at.desc())
        .limit(1)
    ).first()
    if last is None:
        return state
    state.last_time, state.last_value, state.same_count = last.observed_at, last.value, 1
    if stream.quantity == "rain_mm":
        rows = session.execute(
            select(WeatherObservation.observed_at, WeatherObservation.value)
            .where(
                WeatherObservation.datastream_id == stream.id,
                WeatherObservation.observed_at > last.observed_at - timedelta(hours=24),
                WeatherObservation.qc_flags.op("&")(int(qc.BAD)) == 0,
            )
            .order_by(WeatherObservation.observed_at)
        )
        for row in rows:
            qc.add_to_window(state, row.observed_at, row.value)
    return state


def _summary_event(batch: _Batch) -> ObservationsIngested:
    return ObservationsIngested(
        accepted=len(batch.rows), flagged=batch.flagged, latest=batch.summary
    )
