"""Climate statistics: daily and monthly aggregates per station and per kecamatan, anomalies
against the station's normal, CSV export.

Days are Makassar days (WITA). Only readings without a ``qc.BAD`` flag count. Rain is summed
(daily and monthly totals); other quantities are averaged.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from warroom.core.errors import NotFoundError
from warroom.weather import qc
from warroom.weather.models import (
    WeatherDatastream,
    WeatherNormal,
    WeatherObservation,
    WeatherStation,
)
from warroom.weather.schemas import DailyStat, MonthlyStat

SUMMED = frozenset({"rain_mm"})


def stream_id(session: Session, station_id: int, quantity: str) -> int:
    stream = session.scalar(
        select(WeatherDatastream.id).where(
            WeatherDatastream.station_id == station_id, WeatherDatastream.quantity == quantity
        )
    )
    if stream is None:
        raise NotFoundError(f"station {station_id} does not measure {quantity!r}")
    return stream


def _daily_rows(session: Session, stream_ids: list[int], start: date, end: date) -> list[DailyStat]:
    obs = WeatherObservation
    rows = session.execute(
        select(
            obs.datastream_id,
            obs.local_day,
            func.count(),
            func.sum(obs.value),
            func.avg(obs.value),
            func.min(obs.value),
            func.max(obs.value),
        )
        .where(
            obs.datastream_id.in_(stream_ids),
            obs.local_day >= start,
            obs.local_day <= end,
            obs.qc_flags.op("&")(int(qc.BAD)) == 0,
        )
        .group_by(obs.datastream_id, obs.local_day)
        .order_by(obs.local_day)
    )
    return [
        DailyStat(
            day=r[1], count=r[2], total=round(r[3], 2), mean=round(r[4], 2), min=r[5], max=r[6]
        )
        for r in rows
    ]


def station_daily(
    session: Session, *, station_id: int, quantity: str, start: date, end: date
) -> list[DailyStat]:
    return _daily_rows(session, [stream_id(session, station_id, quantity)], start, end)


def _day_value(stat: DailyStat, quantity: str) -> float:
    return stat.total if quantity in SUMMED else stat.mean


def _month_value(days: list[DailyStat], quantity: str) -> float:
    values = [_day_value(d, quantity) for d in days]
    return round(sum(values) if quantity in SUMMED else sum(values) / len(values), 2)


def station_monthly(
    session: Session, *, station_id: int, quantity: str, start: date, end: date
) -> list[MonthlyStat]:
    """Monthly values with anomalies. The normal is the station's stored normal, else the mean
    of the same calendar month in the station's other years (marked as such)."""
    stream = stream_id(session, station_id, quantity)
    history = _by_month(_daily_rows(session, [stream], date(1900, 1, 1), date(2999, 12, 31)))
    stored = {
        n.month: n
        for n in session.scalars(
            select(WeatherNormal).where(
                WeatherNormal.station_id == station_id, WeatherNormal.quantity == quantity
            )
        )
    }
    result = []
    for month, days in sorted(history.items()):
        if not start.strftime("%Y-%m") <= month <= end.strftime("%Y-%m"):
            continue
        value = _month_value(days, quantity)
        normal, source = _normal(month, history, stored, quantity)
        anomaly = None if normal is None else round(value - normal, 2)
        result.append(
            MonthlyStat(
                month=month,
                days=len(days),
                value=value,
                normal=normal,
                anomaly=anomaly,
                normal_source=source,
            )
        )
    return result


def _by_month(days: Iterable[DailyStat]) -> dict[str, list[DailyStat]]:
    months: dict[str, list[DailyStat]] = defaultdict(list)
    for day in days:
        months[day.day.strftime("%Y-%m")].append(day)
    return months


def _normal(
    month: str,
    history: dict[str, list[DailyStat]],
    stored: dict[int, WeatherNormal],
    quantity: str,
) -> tuple[float | None, str | None]:
    calendar_month = int(month[5:])
    if calendar_month in stored:
        return stored[calendar_month].value, stored[calendar_month].source
    others = [
        _month_value(days, quantity)
        for key, days in history.items()
        if key != month and int(key[5:]) == calendar_month
    ]
    if not others:
        return None, None
    return round(sum(others) / len(others), 2), f"station record, {len(others)} other year(s)"


class KecamatanDay(BaseModel):
    day: date
    stations: int
    value: float


def kecamatan_daily(
    session: Session, *, kecamatan_code: str, quantity: str, start: date, end: date
) -> list[KecamatanDay]:
    """Per day, the mean over the kecamatan's stations of each station's day value."""
    stream_ids = list(
        session.scalars(
            select(WeatherDatastream.id)
            .join(WeatherStation, WeatherStation.id == WeatherDatastream.station_id)
            .where(
                WeatherStation.kecamatan_code == kecamatan_code,
                WeatherDatastream.quantity == quantity,
            )
        )
    )
    if not stream_ids:
        raise NotFoundError(f"no station in kecamatan {kecamatan_code} measures {quantity!r}")
    per_day: dict[date, list[float]] = defaultdict(list)
    for stat in _daily_rows(session, stream_ids, start, end):
        per_day[stat.day].append(_day_value(stat, quantity))
    return [
        KecamatanDay(day=day, stations=len(v), value=round(sum(v) / len(v), 2))
        for day, v in sorted(per_day.items())
    ]


def to_csv(rows: Iterable[BaseModel]) -> str:
    """Rows of one model as CSV with a header (empty string for no rows)."""
    buffer = io.StringIO()
    writer: csv.DictWriter[str] | None = None
    for row in rows:
        data = row.model_dump(mode="json")
        if writer is None:
            writer = csv.DictWriter(buffer, fieldnames=list(data), lineterminator="\n")
            writer.writeheader()
        writer.writerow(data)
    return buffer.getvalue()
