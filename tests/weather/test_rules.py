"""Quality control, BMKG rain categories and water-level stages (pure functions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from warroom.weather import qc
from warroom.weather.kecamatan import Kecamatan
from warroom.weather.quantities import RAIN_1H, RAIN_24H, rain_category
from warroom.weather.rainfall import RainWindow
from warroom.weather.thresholds import StationFacts, rain_alerts, water_level_alert

T0 = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=1)
RULES = qc.QcRules(
    valid_min=0,
    valid_max=100,
    interval=timedelta(minutes=5),
    stuck_count=4,
    gap_factor=3,
    quantity="humidity_pct",
)
STATION = StationFacts(
    id=1,
    code="ST-1",
    name="AWL Tallo",
    lat=-5.1,
    lon=119.4,
    kecamatan=Kecamatan("73.71.13", "Tallo", approximate=True),
    level_watch_m=1.5,
    level_alert_m=2.0,
    level_danger_m=2.5,
)


def test_out_of_range_is_flagged_not_dropped() -> None:
    state = qc.StreamState()
    assert qc.check(RULES, state, T0, 150.0, T0) == qc.Flag.RANGE
    assert state.last_value == 150.0


def test_stuck_sensor_after_identical_readings() -> None:
    state = qc.StreamState()
    flags = [
        qc.check(RULES, state, T0 + timedelta(minutes=5 * i), 80.0, T0 + timedelta(hours=1))
        for i in range(5)
    ]
    assert flags == [0, 0, 0, qc.Flag.STUCK, qc.Flag.STUCK]


def test_steady_rain_and_calm_wind_are_never_stuck() -> None:
    rain = qc.QcRules(0, 200, timedelta(minutes=5), 3, 3, "rain_mm")
    wind = qc.QcRules(0, 200, timedelta(minutes=5), 3, 3, "wind_speed_kmh")
    state, calm = qc.StreamState(), qc.StreamState()
    readings = {qc.check(rain, state, T0 + timedelta(minutes=5 * i), 1.0, NOW) for i in range(9)}
    readings |= {qc.check(wind, calm, T0 + timedelta(minutes=5 * i), 0.0, NOW) for i in range(9)}
    assert readings == {0}


def test_gap_future_and_out_of_order() -> None:
    state = qc.StreamState()
    qc.check(RULES, state, T0, 50.0, NOW)
    assert qc.check(RULES, state, T0 + timedelta(minutes=30), 51.0, NOW) == qc.Flag.GAP
    assert qc.check(RULES, state, T0 + timedelta(minutes=10), 52.0, NOW) == qc.Flag.OUT_OF_ORDER
    assert qc.check(RULES, state, NOW + timedelta(hours=2), 53, NOW) & qc.Flag.FUTURE
    assert qc.flag_names(qc.Flag.GAP | qc.Flag.RANGE) == ["range", "gap"]


def test_bmkg_rain_categories() -> None:
    assert rain_category(0.4, RAIN_24H) == "none"
    assert rain_category(0.5, RAIN_24H) == "light"
    assert rain_category(50, RAIN_24H) == "heavy"
    assert rain_category(151, RAIN_24H) == "extreme"
    assert rain_category(12, RAIN_1H) == "heavy"
    assert rain_category(25, RAIN_1H) == "very_heavy"


def test_rain_window_sums_and_repeats_count_once() -> None:
    state = qc.StreamState()
    for i in range(12):
        state.rain.add(T0 + timedelta(minutes=5 * i), 1.0)
    state.rain.add(T0 + timedelta(minutes=55), 1.0)  # redelivered reading
    assert state.rain.total(1) == 12.0
    state.rain.add(T0 + timedelta(hours=30), 0.0)
    assert state.rain.total(24) == 0.0 and len(state.rain) == 1


def test_rain_alerts_name_the_kecamatan_and_clear() -> None:
    state = qc.StreamState()
    for i in range(12):
        state.rain.add(T0 + timedelta(minutes=5 * i), 1.0)
    answers = dict(rain_alerts(STATION, state.rain, "heavy"))
    spec = answers["rain_1h:ST-1"]
    assert spec is not None and spec.level == "heavy" and spec.value == 12.0
    assert spec.kecamatan[0].name == "Tallo" and spec.approximate
    assert answers["rain_24h:ST-1"] is None  # 12 mm a day is only light
    state.rain.add(T0 + timedelta(hours=3), 0.0)
    assert dict(rain_alerts(STATION, state.rain, "heavy"))["rain_1h:ST-1"] is None


def test_water_level_stages() -> None:
    assert water_level_alert(STATION, 1.2) == ("water_level:ST-1", None)
    _, spec = water_level_alert(STATION, 2.1)
    assert spec is not None and spec.level == "siaga" and "Tallo" in spec.title
    _, spec = water_level_alert(STATION, 3.0)
    assert spec is not None and spec.level == "awas"


def test_rain_totals_stay_exact_while_readings_slide_through() -> None:
    """Running totals add each reading once and take it out once; in floats the error would
    pile up (0.1 + 0.2 - 0.1 != 0.2) and a total could sit just under a category bound."""
    amounts = (0.1, 0.2, 0.3, 0.7, 1.1)
    window, readings = RainWindow(), []
    for i in range(2000):  # about a week of 5-minute readings
        readings.append((T0 + timedelta(minutes=5 * i), amounts[i % 5]))
        window.add(*readings[-1])
    exact = {
        hours: float(
            sum(
                Decimal(str(v)) for t, v in readings if t > readings[-1][0] - timedelta(hours=hours)
            )
        )
        for hours in (1, 24)
    }
    assert (window.total(1), window.total(24)) == (exact[1], exact[24]) == (6.6, 138.9)
    assert len(window) == 288


def test_late_rain_readings_count_once_and_in_order() -> None:
    window = RainWindow()
    for minutes in (0, 10, 20, 70):
        window.add(T0 + timedelta(minutes=minutes), 1.0)
    window.add(T0 + timedelta(minutes=30), 2.0)  # late, inside the last hour
    window.add(T0 + timedelta(minutes=30), 2.0)  # and redelivered
    window.add(T0 + timedelta(minutes=5), 4.0)  # late, but older than the last hour
    window.add(T0 - timedelta(hours=30), 8.0)  # older than the whole day: ignored
    assert window.total(1) == 4.0  # the readings at 20, 30 and 70 minutes
    assert window.total(24) == 10.0
    window.add(T0 + timedelta(minutes=95), 0.5)  # the hour moves on past 30 minutes
    assert (window.total(1), window.total(24)) == (1.5, 10.5)
