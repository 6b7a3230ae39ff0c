"""Demo: simulated stations over Makassar publishing readings to the broker, like real ones.

One asyncio task wakes every interval and publishes one small JSON message per station (a few
messages every ten seconds: negligible CPU). Weather is a cheap model: a daily temperature and
humidity cycle, and storm cells that come and go, raising the rivers after them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import random
from dataclasses import dataclass

import paho.mqtt.client as paho
from fastapi import FastAPI
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from warroom.core.audit import SYSTEM
from warroom.core.clock import WITA, utcnow
from warroom.core.db import Database
from warroom.weather import service
from warroom.weather.config import WeatherSettings
from warroom.weather.models import WeatherStation
from warroom.weather.mqtt import broker_address
from warroom.weather.quantities import StationKind
from warroom.weather.schemas import StationCreate
from warroom.weather.services import weather_settings

log = logging.getLogger("warroom.weather.simulator")


@dataclass(frozen=True)
class DemoStation:
    code: str
    name: str
    kind: StationKind
    lat: float
    lon: float
    levels: tuple[float, float, float] | None = None


DEMO_STATIONS = (
    DemoStation("MKS-AWS-01", "AWS Paotere", "aws", -5.1120, 119.4210),
    DemoStation("MKS-ARG-02", "ARG Tamalanrea", "rain_gauge", -5.1350, 119.4900),
    DemoStation("MKS-ARG-03", "ARG Manggala", "rain_gauge", -5.1700, 119.4900),
    DemoStation("MKS-ARG-04", "ARG Tamalate", "rain_gauge", -5.1900, 119.4100),
    DemoStation("MKS-ARG-05", "ARG Biringkanaya", "rain_gauge", -5.0800, 119.5100),
    DemoStation(
        "MKS-AWL-06", "AWL Sungai Tallo", "water_level", -5.1150, 119.4500, (1.5, 2.0, 2.5)
    ),
    DemoStation(
        "MKS-AWL-07", "AWL Sungai Jeneberang", "water_level", -5.2050, 119.4200, (2.0, 2.6, 3.2)
    ),
    DemoStation("MKS-AWS-08", "AWS Panakkukang", "aws", -5.1500, 119.4450),
)


class Weather:
    """Shared state of the simulated sky: one storm at a time drifting over the city."""

    def __init__(self, seed: int | None = None) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - simulated weather, not a secret
        self.storm_left = 0  # intervals
        self.intensity = 0.0  # mm/h
        self.river = 0.0  # metres above base, from recent rain

    def step(self, interval_s: float) -> None:
        if self.storm_left > 0:
            self.storm_left -= 1
        elif self.rng.random() < interval_s / 1800:  # about one storm every half hour
            self.storm_left = int(self.rng.uniform(600, 2400) / interval_s)
            self.intensity = self.rng.uniform(5, 40)
        rain_h = self.intensity if self.storm_left else 0.0
        self.river = self.river * math.exp(-interval_s / 5400) + rain_h * interval_s / 3600 * 0.12

    def reading(self, station: DemoStation, interval_s: float) -> dict[str, float]:
        hour = utcnow().astimezone(WITA).hour + utcnow().minute / 60
        cycle = math.sin((hour - 9) / 24 * 2 * math.pi)
        raining = self.storm_left > 0 and self.rng.random() < 0.9
        rain = self.intensity * interval_s / 3600 * self.rng.uniform(0.6, 1.4) if raining else 0.0
        if station.kind == "water_level":
            base = 0.8 if station.levels is None else station.levels[0] * 0.55
            return {"water_level_m": round(base + self.river + self.rng.gauss(0, 0.01), 3)}
        values = {"rain_mm": round(rain, 2)}
        if station.kind == "aws":
            values |= {
                "air_temp_c": round(
                    28 + 4 * cycle - (3 if raining else 0) + self.rng.gauss(0, 0.2), 1
                ),
                "humidity_pct": round(min(100, 75 - 12 * cycle + (15 if raining else 0)), 1),
                "pressure_hpa": round(1009 + self.rng.gauss(0, 0.3), 1),
                "wind_speed_kmh": round(abs(self.rng.gauss(12 + (15 if raining else 0), 4)), 1),
                "wind_dir_deg": round(self.rng.uniform(200, 300)),
            }
        return values


def ensure_demo_stations(db: Database, interval_s: float) -> None:
    with db.write() as session:
        existing = set(session.scalars(select(WeatherStation.code)))
        for demo in DEMO_STATIONS:
            if demo.code in existing:
                continue
            watch, alert, danger = demo.levels or (None, None, None)
            data = StationCreate(
                code=demo.code,
                name=demo.name,
                kind=demo.kind,
                lat=demo.lat,
                lon=demo.lon,
                interval_seconds=max(10, round(interval_s)),
                level_watch_m=watch,
                level_alert_m=alert,
                level_danger_m=danger,
            )
            service.create_station(session, data=data, actor=SYSTEM)


class DemoSimulator:
    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None
        self._client: paho.Client | None = None

    async def start(self, app: FastAPI) -> None:
        settings = weather_settings(app)
        if not settings.simulator or not settings.mqtt_url:
            return
        await run_in_threadpool(
            ensure_demo_stations, app.state.db, settings.simulator_interval_seconds
        )
        app.state.weather_ingestor.invalidate()
        self._client = paho.Client(CallbackAPIVersion.VERSION2, client_id="warroom-weather-demo")
        self._client.connect_async(*broker_address(settings.mqtt_url))
        self._client.loop_start()
        self._task = asyncio.create_task(self._run(settings), name="weather-demo")

    async def stop(self, app: FastAPI) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()

    async def _run(self, settings: WeatherSettings) -> None:
        interval, sky = settings.simulator_interval_seconds, Weather()
        while True:
            sky.step(interval)
            observed = utcnow().astimezone(WITA).isoformat(timespec="seconds")
            for station in DEMO_STATIONS:
                payload = {"observed_at": observed, "values": sky.reading(station, interval)}
                topic = f"{settings.mqtt_topic_prefix}/{station.code}/observations"
                assert self._client is not None
                self._client.publish(topic, json.dumps(payload), qos=1)
            await asyncio.sleep(interval)
