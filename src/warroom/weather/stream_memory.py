"""What QC remembers of a datastream seen for the first time since the process started: its last
reading and, for rain, the good readings of the 24 hours before it, so stuck-sensor counts, gaps
and rain totals continue where they stood before a restart."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from warroom.weather import qc
from warroom.weather.catalogue import Stream
from warroom.weather.models import WeatherObservation as Obs

CHUNK = 500  # datastream ids per query, well inside every driver's parameter limit


def load(session: Session, streams: Sequence[Stream]) -> dict[int, qc.StreamState]:
    states = {stream.id: qc.StreamState() for stream in streams}
    ids = list(states)
    for start in range(0, len(ids), CHUNK):
        for row in session.execute(_last_readings(ids[start : start + CHUNK])):
            state = states[row.datastream_id]
            state.last_time, state.last_value, state.same_count = row.observed_at, row.value, 1
    for stream in streams:
        state = states[stream.id]
        if stream.quantity == "rain_mm" and state.last_time is not None:
            _load_rain(session, stream.id, state)
    return states


def _last_readings(ids: list[int]) -> Select[int, datetime, float]:
    newest = (
        select(Obs.datastream_id, func.max(Obs.observed_at).label("at"))
        .where(Obs.datastream_id.in_(ids))
        .group_by(Obs.datastream_id)
        .subquery()
    )
    return select(Obs.datastream_id, Obs.observed_at, Obs.value).join(
        newest, and_(Obs.datastream_id == newest.c.datastream_id, Obs.observed_at == newest.c.at)
    )


def _load_rain(session: Session, stream_id: int, state: qc.StreamState) -> None:
    assert state.last_time is not None
    rows = session.execute(
        select(Obs.observed_at, Obs.value)
        .where(
            Obs.datastream_id == stream_id,
            Obs.observed_at > state.last_time - timedelta(hours=24),
            Obs.qc_flags.op("&")(qc.BAD) == 0,
        )
        .order_by(Obs.observed_at)
    )
    for row in rows:
        state.rain.add(row.observed_at, row.value)
