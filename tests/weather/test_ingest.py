"""The ingest pipeline on SQLite and PostgreSQL: storage, flags, duplicates, alerts, events."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.weather.conftest import make_station, recent, report, topics
from warroom.core.audit import AuditEntry
from warroom.core.clock import WITA
from warroom.core.db import Database
from warroom.weather import service
from warroom.weather.config import WeatherSettings
from warroom.weather.ingest import Ingestor
from warroom.weather.models import WeatherAlert, WeatherLatest, WeatherObservation
from warroom.weather.qc import Flag


def _ingestor(db: Database, **settings: object) -> Ingestor:
    return Ingestor(db, WeatherSettings(**settings))  # type: ignore[arg-type]


def test_readings_are_stored_with_flags_and_latest(db: Database) -> None:
    station_id = make_station(db, kind="aws", code="AWS-01")
    start = recent(60)
    result = _ingestor(db).ingest(
        [
            ("AWS-01", report(start, air_temp_c=29.5, humidity_pct=80)),
            ("AWS-01", report(start + timedelta(minutes=5), air_temp_c=99, humidity_pct=81)),
        ]
    )
    assert (result.accepted, result.flagged, result.rejected) == (4, 1, [])
    with db.read() as session:
        (station,) = service.stations_with_latest(session)
        flags = dict(
            session.execute(select(WeatherObservation.value, WeatherObservation.qc_flags)).all()
        )
    assert station.id == station_id
    latest = {v.quantity: v for v in station.latest}
    assert latest["air_temp_c"].value == 99 and latest["air_temp_c"].flags == ["range"]
    assert latest["humidity_pct"].value == 81 and latest["humidity_pct"].age_seconds > 0
    assert flags[99] == Flag.RANGE and flags[29.5] == 0


def test_unknown_station_and_quantity_are_refused_the_rest_kept(db: Database) -> None:
    make_station(db)
    result = _ingestor(db).ingest(
        [
            ("NOPE", report(recent(), rain_mm=1)),
            ("ARG-01", report(recent(), rain_mm=1, air_temp_c=30)),
        ]
    )
    assert result.accepted == 1
    assert result.rejected == [
        "unknown station 'NOPE'",
        "station 'ARG-01' does not measure 'air_temp_c'",
    ]


def test_a_reading_delivered_twice_is_stored_and_counted_once(db: Database) -> None:
    make_station(db)
    when = recent(10)
    ingestor = _ingestor(db)
    ingestor.ingest([("ARG-01", report(when, rain_mm=11))])
    again = ingestor.ingest([("ARG-01", report(when, rain_mm=11))])
    fresh = _ingestor(db).ingest([("ARG-01", report(when, rain_mm=11))])  # after a restart
    assert again.flagged == fresh.flagged == 1  # out of order: already seen
    with db.read() as session:
        assert len(session.scalars(select(WeatherObservation)).all()) == 1
        (alert,) = session.scalars(select(WeatherAlert)).all()
    assert alert.value == 11.0, "a redelivered reading must not count twice in the rain sum"


def test_heavy_rain_opens_an_alert_naming_the_kecamatan_and_closes(db: Database) -> None:
    make_station(db)
    ingestor, start = _ingestor(db), recent(120)
    ingestor.ingest(
        [("ARG-01", report(start + timedelta(minutes=5 * i), rain_mm=1.0)) for i in range(12)]
    )
    with db.read() as session:
        (alert,) = session.scalars(select(WeatherAlert)).all()
    assert (alert.key, alert.level, alert.value) == ("rain_1h:ARG-01", "heavy", 12.0)
    assert alert.kecamatan and alert.kecamatan[0]["code"].startswith("73.71.")
    assert alert.kecamatan_approximate  # the demo regions have centroids only
    assert alert.closed_at is None
    ingestor.ingest([("ARG-01", report(start + timedelta(minutes=65), rain_mm=0.0))])
    ingestor.ingest([("ARG-01", report(start + timedelta(minutes=115), rain_mm=0.0))])
    with db.read() as session:
        (alert,) = session.scalars(select(WeatherAlert)).all()
        actions = set(session.scalars(select(AuditEntry.action)))
    assert alert.closed_at is not None
    assert {"weather.alert_raised", "weather.alert_cleared"} <= actions
    assert topics(db).count("weather.alert_raised") == 1
    assert "weather.alert_cleared" in topics(db)


def test_water_level_escalates_through_stages(db: Database) -> None:
    make_station(
        db,
        code="AWL-01",
        kind="water_level",
        level_watch_m=1.5,
        level_alert_m=2.0,
        level_danger_m=2.5,
    )
    ingestor, start = _ingestor(db), recent(60)
    for i, level in enumerate((1.0, 1.6, 2.6, 2.7, 1.0)):
        ingestor.ingest([("AWL-01", report(start + timedelta(minutes=5 * i), water_level_m=level))])
    assert [t for t in topics(db) if t.startswith("weather.alert")] == [
        "weather.alert_raised",
        "weather.alert_level_changed",
        "weather.alert_cleared",
    ]


def test_flagged_readings_raise_no_alert(db: Database) -> None:
    make_station(db, code="AWL-01", kind="water_level", level_watch_m=1.5)
    _ingestor(db).ingest([("AWL-01", report(recent(), water_level_m=50))])  # impossible
    with db.read() as session:
        assert session.scalars(select(WeatherAlert)).all() == []


def test_each_batch_announces_itself_once(db: Database) -> None:
    make_station(db)
    _ingestor(db).ingest([("ARG-01", report(recent(5 - i), rain_mm=0)) for i in range(5)])
    assert topics(db).count("weather.observations_ingested") == 1


def test_bulk_written_times_and_days_match_orm_queries(db: Database) -> None:
    """The batch writer bypasses SQLAlchemy's parameter handling; what it stores must still
    compare equal to the values ORM queries bind (SQLite compares the stored text)."""
    make_station(db)
    when = recent(10).replace(microsecond=250_000)
    _ingestor(db).ingest([("ARG-01", report(when, rain_mm=1.5))])
    day = when.astimezone(WITA).date()
    with db.read() as session:
        found = session.scalars(
            select(WeatherObservation.value).where(
                WeatherObservation.observed_at == when, WeatherObservation.local_day == day
            )
        ).all()
        latest = session.scalars(
            select(WeatherLatest.value).where(WeatherLatest.observed_at == when)
        ).all()
    assert found == [1.5] and latest == [1.5]


def test_an_older_reading_never_replaces_a_newer_latest_value(db: Database) -> None:
    """Two writers (say the MQTT worker and an HTTP upload, or two processes): one that has not
    seen the newest reading must not roll the latest value back."""
    make_station(db)
    start = recent(30)
    behind, ahead = _ingestor(db), _ingestor(db)
    behind.ingest([("ARG-01", report(start, rain_mm=1.0))])
    ahead.ingest([("ARG-01", report(start + timedelta(minutes=20), rain_mm=3.0))])
    behind.ingest([("ARG-01", report(start + timedelta(minutes=10), rain_mm=2.0))])
    with db.read() as session:
        latest = session.execute(select(WeatherLatest.value, WeatherLatest.observed_at)).one()
        stored = session.scalars(select(WeatherObservation.value)).all()
    assert latest == (3.0, start + timedelta(minutes=20))
    assert sorted(stored) == [1.0, 2.0, 3.0]
