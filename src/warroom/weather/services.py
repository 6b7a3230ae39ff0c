"""The weather domain's background services, started and stopped with the app.

``IngestService`` always runs: it owns the ingest pipeline the HTTP API uses too, and the MQTT
listener when a broker is configured. ``BmkgService`` polls the BMKG feeds that have a URL, and
``DemoSimulator`` (demo mode) publishes made-up readings of stations over Makassar.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from warroom.weather.config import WeatherSettings
from warroom.weather.decode import RejectionLog
from warroom.weather.ingest import Ingestor
from warroom.weather.mqtt import MqttListener

log = logging.getLogger("warroom.weather")
DEMO_BROKER = "mqtt://127.0.0.1:1883"


def weather_settings(app: FastAPI) -> WeatherSettings:
    """The app's weather settings: set on ``app.state`` by tests, else from the environment
    (the demo switches the broker and simulator on)."""
    existing: WeatherSettings | None = getattr(app.state, "weather_settings", None)
    if existing is None:
        existing = WeatherSettings()
        if app.state.settings.demo:
            existing = existing.model_copy(
                update={"mqtt_url": existing.mqtt_url or DEMO_BROKER, "simulator": True}
            )
        app.state.weather_settings = existing
    return existing


def _notifier(app: FastAPI) -> Any:
    loop = asyncio.get_running_loop()

    def notify() -> None:
        relay = getattr(app.state, "outbox_relay", None)
        if relay is not None:
            loop.call_soon_threadsafe(relay.notify)

    return notify


class IngestService:
    def __init__(self) -> None:
        self.listener: MqttListener | None = None

    async def start(self, app: FastAPI) -> None:
        settings = weather_settings(app)
        ingestor = Ingestor(app.state.db, settings, on_commit=_notifier(app))
        app.state.weather_ingestor = ingestor
        app.state.weather_rejections = RejectionLog()
        if settings.mqtt_url:
            self.listener = MqttListener(settings, ingestor, app.state.weather_rejections)
            self.listener.start()
            app.state.weather_listener = self.listener

    async def stop(self, app: FastAPI) -> None:
        if self.listener is not None:
            await run_in_threadpool(self.listener.stop)


def weather_services(app: FastAPI) -> list[Any]:
    from warroom.weather.bmkg_service import BmkgService
    from warroom.weather.simulator import DemoSimulator

    return [IngestService(), BmkgService(), DemoSimulator()]
