"""What stations measure: quantities, their units, the range a real reading can have in Makassar,
and the BMKG rain categories."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

StationKind = Literal["rain_gauge", "aws", "water_level"]


@dataclass(frozen=True)
class Quantity:
    unit: str
    valid_min: float
    valid_max: float


# Ranges outside which a reading is physically impossible at a tropical coastal city; readings
# outside are stored with the RANGE flag. Rain is the amount since the station's previous report.
QUANTITIES: dict[str, Quantity] = {
    "rain_mm": Quantity("mm", 0.0, 200.0),
    "air_temp_c": Quantity("degC", 10.0, 45.0),
    "humidity_pct": Quantity("%", 0.0, 100.0),
    "pressure_hpa": Quantity("hPa", 900.0, 1100.0),
    "wind_speed_kmh": Quantity("km/h", 0.0, 250.0),
    "wind_dir_deg": Quantity("deg", 0.0, 360.0),
    "water_level_m": Quantity("m", -5.0, 20.0),
}

DEFAULT_QUANTITIES: dict[str, tuple[str, ...]] = {
    "rain_gauge": ("rain_mm",),
    "aws": (
        "rain_mm",
        "air_temp_c",
        "humidity_pct",
        "pressure_hpa",
        "wind_speed_kmh",
        "wind_dir_deg",
    ),
    "water_level": ("water_level_m",),
}

RAIN_LEVELS = ("none", "light", "moderate", "heavy", "very_heavy", "extreme")

# BMKG rain categories: (lower bound in mm, category), highest first.
RAIN_1H: tuple[tuple[float, str], ...] = (
    (20.0, "very_heavy"),
    (10.0, "heavy"),
    (5.0, "moderate"),
    (1.0, "light"),
)
RAIN_24H: tuple[tuple[float, str], ...] = (
    (150.0, "extreme"),
    (100.0, "very_heavy"),
    (50.0, "heavy"),
    (20.0, "moderate"),
    (0.5, "light"),
)


def rain_category(total_mm: float, table: tuple[tuple[float, str], ...]) -> str:
    for lower, category in table:
        if total_mm >= lower:
            return category
    return "none"


def rain_rank(category: str) -> int:
    return RAIN_LEVELS.index(category)


WATER_LEVELS = ("normal", "waspada", "siaga", "awas")
