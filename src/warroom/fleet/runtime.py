"""The fleet background service the web app runs: pipeline, listeners, registry reloads,
retention purge and (in the demo) the simulator. Listeners start last and stop first, so
nothing is accepted that cannot be stored."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Protocol

from fastapi import FastAPI

from warroom.core.bus.base import Subscription
from warroom.core.bus.events import Event
from warroom.fleet import events
from warroom.fleet.config import FleetConfig
from warroom.fleet.directory import RELOAD_SECONDS
from warroom.fleet.listeners.http import HttpListener
from warroom.fleet.listeners.mqtt import MqttListener
from warroom.fleet.listeners.tcp import TcpListener
from warroom.fleet.listeners.udp import UdpListener
from warroom.fleet.live_socket import LiveHub
from warroom.fleet.pipeline import Pipeline
from warroom.fleet.protocols import PROTOCOLS
from warroom.fleet.retention import purge_loop

log = logging.getLogger("warroom.fleet")
RELOAD_DEBOUNCE_SECONDS = 0.2
REGISTRY_TOPICS = [
    events.DeviceRegistered.topic,
    events.DeviceUpdated.topic,
    events.VehicleRegistered.topic,
    events.VehicleUpdated.topic,
]


class Listener(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def build_listeners(pipeline: Pipeline, config: FleetConfig) -> dict[str, Listener]:
    """Listeners by `name/transport`, from `config.listeners` (and `mqtt_url`)."""
    found: dict[str, Listener] = {}
    host, idle = config.bind_host, config.idle_timeout_seconds
    for name, port in config.listener_ports().items():
        spec = PROTOCOLS[name]
        if "http" in spec.transports:
            found[f"{name}/http"] = HttpListener(
                spec, pipeline, host=host, port=port, idle_timeout=idle
            )
        if "tcp" in spec.transports:
            found[f"{name}/tcp"] = TcpListener(
                spec, pipeline, host=host, port=port, idle_timeout=idle
            )
        if "udp" in spec.transports and config.udp:
            # port 0 on TCP and UDP would give two different ports; UDP then follows TCP
            found[f"{name}/udp"] = UdpListener(spec, pipeline, host=host, port=port)
    if config.mqtt_url:
        found["owntracks/mqtt"] = MqttListener(
            pipeline, url=config.mqtt_url, topic=config.mqtt_topic, client_id=config.mqtt_client_id
        )
    return found


class FleetService:
    def __init__(self, config: FleetConfig) -> None:
        self.config = config
        self.pipeline: Pipeline | None = None
        self.listeners: dict[str, Listener] = {}
        self._subscriptions: list[Subscription] = []
        self._tasks: list[asyncio.Task[Any]] = []
        self._reload_wanted = asyncio.Event()

    async def start(self, app: FastAPI) -> None:
        pipeline = self.pipeline = Pipeline(app.state.db, app.state.bus, self.config)
        await pipeline.start()
        bus = app.state.bus
        self._subscriptions = [
            await bus.subscribe(self._on_registry, topics=REGISTRY_TOPICS),
            await bus.subscribe(self._on_fences, topics=[events.GeofencesChanged.topic]),
        ]
        self._tasks = [
            asyncio.create_task(self._reload_regularly(), name="fleet-directory"),
            asyncio.create_task(purge_loop(app.state.db, self.config), name="fleet-purge"),
        ]
        self.listeners = build_listeners(pipeline, self.config)
        await self._start_listeners()
        if self.config.simulate_vehicles:
            await self._start_simulator(app)
        app.state.fleet = self

    async def _start_simulator(self, app: FastAPI) -> None:
        """The demo's living city: simulated vehicles reporting to our own listeners."""
        # Imported here: the road network stack costs over a second at start-up and only the
        # demo's simulator needs it in this process.
        from warroom.fleet.simulator import (
            PROTOCOL_MIX,
            Simulator,
            ensure_registered,
            make_vehicles,
        )
        from warroom.geo.network import get_router

        endpoints = {
            key.split("/")[0]: ("127.0.0.1", self.port(key))
            for key in self.listeners
            if key.endswith(("/tcp", "/http")) and key.split("/")[0] in PROTOCOL_MIX
        }
        router = await asyncio.to_thread(get_router)
        vehicles = make_vehicles(router, self.config.simulate_vehicles)
        await asyncio.to_thread(ensure_registered, app.state.db, vehicles)
        assert self.pipeline is not None
        await self.pipeline.reload_devices()
        simulator = Simulator(
            router, vehicles, endpoints, interval=self.config.simulate_interval_seconds
        )
        self._tasks.append(asyncio.create_task(simulator.run(), name="fleet-simulator"))

    async def _start_listeners(self) -> None:
        tcp_ports: dict[str, int] = {}
        for key, listener in self.listeners.items():
            name, transport = key.split("/")
            if isinstance(listener, UdpListener) and listener.port == 0:
                listener.port = tcp_ports.get(name, 0)
            await listener.start()
            if isinstance(listener, TcpListener | HttpListener):
                tcp_ports[name] = listener.port
            log.info("fleet listener started", extra={"listener": key, "transport": transport})

    async def stop(self, app: FastAPI) -> None:
        for listener in reversed(self.listeners.values()):
            await listener.stop()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for subscription in self._subscriptions:
            await subscription.unsubscribe()
        if self.pipeline is not None:
            await self.pipeline.stop()

    def port(self, key: str) -> int:
        """The bound port of listener `name/transport` (tests use port 0)."""
        listener = self.listeners[key]
        assert isinstance(listener, TcpListener | HttpListener | UdpListener)
        return listener.port

    async def _on_registry(self, _event: Event) -> None:
        self._reload_wanted.set()

    async def _on_fences(self, _event: Event) -> None:
        if self.pipeline is not None:
            await self.pipeline.reload_fences()

    async def _reload_regularly(self) -> None:
        """Reload on registry events (several at once count once) and every RELOAD_SECONDS
        (changes made by other processes on a bus they do not share)."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._reload_wanted.wait(), RELOAD_SECONDS)
            self._reload_wanted.clear()
            try:
                assert self.pipeline is not None
                await self.pipeline.reload_devices()
            except Exception:
                log.exception("reloading the device directory failed")
            await asyncio.sleep(RELOAD_DEBOUNCE_SECONDS)


def fleet_services(app: FastAPI) -> list[FleetService | LiveHub]:
    """The live-map hub always; ingest only when listeners or the simulator are set (a web
    process of a scaled-out install gets positions from the bus)."""
    config: FleetConfig = getattr(app.state, "fleet_config", None) or FleetConfig()
    if not (config.listeners or config.mqtt_url or config.simulate_vehicles):
        return [LiveHub()]
    return [LiveHub(), FleetService(config)]
