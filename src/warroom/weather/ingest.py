"""The ingest pipeline shared by MQTT and HTTP: validate, quality-control, store, evaluate.

One call handles one batch in one transaction (group commit): one ``executemany`` of the
readings, one upsert of the latest value of each datastream it touched, the threshold alerts that
changed (evaluated once per station per batch) and one ``ObservationsIngested`` event. QC state
and running rain totals live in memory between batches (loaded from the database, a few queries
per batch, the first time a datastream is seen) so a batch costs no per-reading queries; if a
batch fails, that memory is dropped and reloaded, so it never drifts from what was committed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from warroom.core import outbox
from warroom.core.clock import WITA, utcnow
from warroom.core.db import Database
from warroom.weather import alerts, catalogue, qc, stream_memory, thresholds
from warroom.weather.config import WeatherSettings
from warroom.weather.events import ObservationsIngested
from warroom.weather.models import WeatherAlert
from warroom.weather.schemas import IngestReport, ObservationIn
from warroom.weather.upsert import BatchWriter, Latest, Reading

CATALOGUE_TTL = 30.0  # seconds; an unknown station code also triggers a reload (at most 1/s)
THRESHOLD_KINDS = ("rain_1h", "rain_24h", "water_level")
MAX_EVENT_STATIONS = 500


@dataclass
class _Batch:
    """What one batch collects before it is written."""

    readings: list[Reading] = field(default_factory=list)
    latest: dict[int, Latest] = field(default_factory=dict)
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
        self._writer = BatchWriter(db.engine.dialect)

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
            self._load_states(session, reports)
            for code, report in reports:
                self._check_report(batch, code, report, now)
            if batch.readings:
                connection = session.connection()
                self._writer.insert_readings(connection, batch.readings, now)
                self._writer.upsert_latest(connection, list(batch.latest.values()))
                self._evaluate(session, batch)
                outbox.enqueue(session, _summary_event(batch))
        return IngestReport(
            accepted=len(batch.readings), flagged=batch.flagged, rejected=batch.rejected
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

    def _load_states(self, session: Session, reports: Sequence[tuple[str, ObservationIn]]) -> None:
        """Remember the datastreams this batch sees for the first time, in a few queries."""
        new: dict[int, catalogue.Stream] = {}
        for code, report in reports:
            station = self._stations.get(code)
            if station is None:
                continue
            for quantity in report.values:
                stream = station.streams.get(quantity)
                if stream is not None and stream.id not in self._states:
                    new[stream.id] = stream
        if new:
            self._states.update(stream_memory.load(session, list(new.values())))

    def _check_report(self, batch: _Batch, code: str, report: ObservationIn, now: datetime) -> None:
        station = self._stations.get(code)
        if station is None:
            batch.rejected.append(f"unknown station {code!r}")
            return
        if not station.active:
            batch.rejected.append(f"station {code!r} is deactivated")
            return
        when = report.observed_at
        # Makassar's days run midnight to midnight WITA; once per report: readings share it
        day = when.astimezone(WITA).date()
        latest: dict[str, float] = {}
        for quantity, value in report.values.items():
            stream = station.streams.get(quantity)
            if stream is None:
                batch.rejected.append(f"station {code!r} does not measure {quantity!r}")
                continue
            state = self._states[stream.id]
            flags = qc.check(stream.rules, state, when, value, now)
            batch.readings.append((stream.id, when, day, value, flags))
            if flags:
                batch.flagged += 1
                if flags & qc.OUT_OF_ORDER:
                    continue  # older than what we have: stored, changes neither latest nor alerts
            batch.latest[stream.id] = (stream.id, when, value, flags)
            latest[quantity] = value
            if not flags & qc.BAD:
                self._note_for_thresholds(batch, station, quantity, state, when, value)
        if latest and (len(batch.summary) < MAX_EVENT_STATIONS or code in batch.summary):
            batch.summary.setdefault(code, {}).update(latest)  # the event names 500 at most

    @staticmethod
    def _note_for_thresholds(
        batch: _Batch,
        station: catalogue.Station,
        quantity: str,
        state: qc.StreamState,
        when: datetime,
        value: float,
    ) -> None:
        """Keep a good reading for the threshold check that runs once per station per batch."""
        if quantity == "rain_mm":
            state.rain.add(when, value)
            batch.rain[station.facts.code] = station
        elif quantity == "water_level_m":
            batch.levels[station.facts.code] = (station, value)

    def _evaluate(self, session: Session, batch: _Batch) -> None:
        minimum = self._settings.rain_alert_category
        wanted: list[tuple[str, alerts.AlertSpec | None]] = []
        for station in batch.rain.values():
            state = self._states[station.streams["rain_mm"].id]
            wanted.extend(thresholds.rain_alerts(station.facts, state.rain, minimum))
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


def _summary_event(batch: _Batch) -> ObservationsIngested:
    return ObservationsIngested(
        accepted=len(batch.readings), flagged=batch.flagged, latest=batch.summary
    )
