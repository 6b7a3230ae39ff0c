"""The event bus: domains publish typed events and subscribe to each other's.

``make_bus(settings.bus_url)`` picks the backend: in-process by default, NATS JetStream when
several processes share the work. Both keep the contract in :mod:`warroom.core.bus.base`.
"""

from __future__ import annotations

from warroom.core.bus.base import Bus, BusError, Handler, RetryPolicy, Subscription
from warroom.core.bus.events import Event, UnknownEventError, event_from_json
from warroom.core.bus.memory import InMemoryBus
from warroom.core.bus.nats import NatsBus

__all__ = [
    "Bus",
    "BusError",
    "Event",
    "Handler",
    "InMemoryBus",
    "NatsBus",
    "RetryPolicy",
    "Subscription",
    "UnknownEventError",
    "event_from_json",
    "make_bus",
]

MEMORY_URL = "memory://"


def make_bus(url: str) -> Bus:
    """``memory://`` -> :class:`InMemoryBus`; ``nats://host:4222`` (comma-separated for several
    servers) -> :class:`NatsBus`. The bus still needs ``await bus.start()``."""
    url = url.strip()
    if url == MEMORY_URL:
        return InMemoryBus()
    if url.startswith("nats://"):
        return NatsBus(url)
    raise ValueError(
        f"unsupported bus URL {url!r}: use 'memory://' (in-process) or 'nats://host:4222' "
        "(NATS JetStream; comma-separate several servers)"
    )
