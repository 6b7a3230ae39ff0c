"""Which alert a station's readings call for: BMKG rain categories over 1 h and 24 h, and the
water-level stages of each sensor. Pure functions; ``ingest`` applies the answers."""

from __future__ import annotations

from dataclasses import dataclass

from warroom.weather.alerts import AlertSpec
from warroom.weather.kecamatan import Kecamatan
from warroom.weather.quantities import RAIN_1H, RAIN_24H, rain_category, rain_rank
from warroom.weather.rainfall import RainWindow

RAIN_WINDOWS = (("rain_1h", 1, RAIN_1H), ("rain_24h", 24, RAIN_24H))


@dataclass(frozen=True)
class StationFacts:
    """What alerts need to know about a station."""

    id: int
    code: str
    name: str
    lat: float
    lon: float
    kecamatan: Kecamatan | None
    level_watch_m: float | None = None
    level_alert_m: float | None = None
    level_danger_m: float | None = None

    @property
    def place(self) -> str:
        if self.kecamatan is None:
            return self.name
        return f"{self.name} (Kec. {self.kecamatan.name})"


def _spec(
    station: StationFacts, key: str, kind: str, level: str, title: str, value: float
) -> AlertSpec:
    return AlertSpec(
        key=f"{key}:{station.code}",
        kind=kind,
        level=level,
        title=title,
        kecamatan=[station.kecamatan] if station.kecamatan else [],
        station_id=station.id,
        value=round(value, 2),
        lat=station.lat,
        lon=station.lon,
    )


def rain_alerts(
    station: StationFacts, rain: RainWindow, min_category: str
) -> list[tuple[str, AlertSpec | None]]:
    """For each window: its alert key and the alert it needs (None: the condition cleared)."""
    answers: list[tuple[str, AlertSpec | None]] = []
    for kind, hours, table in RAIN_WINDOWS:
        total = rain.total(hours)
        category = rain_category(total, table)
        key = f"{kind}:{station.code}"
        if rain_rank(category) < rain_rank(min_category):
            answers.append((key, None))
            continue
        label = category.replace("_", " ")
        title = f"{label.capitalize()} rain, {total:.1f} mm in {hours} h at {station.place}"
        answers.append((key, _spec(station, kind, kind, category, title, total)))
    return answers


def water_level_alert(station: StationFacts, level_m: float) -> tuple[str, AlertSpec | None]:
    key = f"water_level:{station.code}"
    stages = (
        ("awas", station.level_danger_m),
        ("siaga", station.level_alert_m),
        ("waspada", station.level_watch_m),
    )
    for stage, threshold in stages:
        if threshold is not None and level_m >= threshold:
            title = f"Water level {stage.upper()} ({level_m:.2f} m) at {station.place}"
            return key, _spec(station, "water_level", "water_level", stage, title, level_m)
    return key, None
