"""Running rain totals over the last hour and day of a station, for the BMKG thresholds.

Each good rain reading is added once and leaves once, so keeping the totals costs O(1)
(amortised) per reading instead of rescanning a day of readings every batch. Totals are kept in
whole micro-millimetres: floats added and later subtracted drift (0.1 + 0.2 - 0.1 is not 0.2),
and a drifting total could sit a hair under a category's lower bound forever.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta

MICRO = 1_000_000
WINDOW_HOURS = (1, 24)


class RollingSum:
    """Readings newer than ``horizon`` before the newest one, and their total."""

    def __init__(self, horizon: timedelta) -> None:
        self.horizon = horizon
        self.items: deque[tuple[datetime, int]] = deque()
        self.micros = 0

    def add(self, when: datetime, micros: int) -> None:
        """Append a reading newer than every one held."""
        self.items.append((when, micros))
        self.micros += micros
        self._evict(when - self.horizon)

    def reset(self, readings: list[tuple[datetime, int]]) -> None:
        """Hold exactly the readings (oldest first) that fall inside the horizon."""
        self.items.clear()
        self.micros = 0
        if readings:
            start = readings[-1][0] - self.horizon
            self.items.extend(r for r in readings if r[0] > start)
            self.micros = sum(m for _, m in self.items)

    def _evict(self, start: datetime) -> None:
        items = self.items
        while items[0][0] <= start:
            self.micros -= items.popleft()[1]


class RainWindow:
    """The good rain readings of the last 24 hours with their 1-hour and 24-hour totals."""

    def __init__(self) -> None:
        self._sums = {hours: RollingSum(timedelta(hours=hours)) for hours in WINDOW_HOURS}
        self._day = self._sums[max(WINDOW_HOURS)]

    def __len__(self) -> int:
        return len(self._day.items)

    def add(self, when: datetime, value_mm: float) -> None:
        """Count a reading; one whose timestamp was already counted (a redelivery) is ignored."""
        micros = round(value_mm * MICRO)
        items = self._day.items
        if items and when <= items[-1][0]:
            self._add_late(when, micros)
            return
        for rolling in self._sums.values():
            rolling.add(when, micros)

    def total(self, hours: int) -> float:
        """Millimetres over the last ``hours`` (one of ``WINDOW_HOURS``) up to the newest
        reading."""
        return self._sums[hours].micros / MICRO

    def _add_late(self, when: datetime, micros: int) -> None:
        """Rare: a reading older than the newest. Insert it in order and rebuild the sums."""
        readings = list(self._day.items)
        if any(t == when for t, _ in readings) or when <= readings[-1][0] - self._day.horizon:
            return
        readings.append((when, micros))
        readings.sort()
        for rolling in self._sums.values():
            rolling.reset(readings)
