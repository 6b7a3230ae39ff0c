"""The bus contract every backend keeps (tests/core/bus/test_contract.py checks it)."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from warroom.core.bus.events import Event, is_valid_topic

Handler = Callable[[Event], Awaitable[None]]

log = logging.getLogger("warroom.bus")

_DURABLE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


class BusError(RuntimeError):
    """The bus cannot do what was asked: not started, closed, or its server is unreachable."""


class Subscription(Protocol):
    async def unsubscribe(self) -> None:
        """Stop delivery to this handler. For a durable subscription the consumer's position is
        kept, so subscribing again under the same name resumes where it stopped."""


class Bus(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None:
        """Finish in-flight handlers and release connections (graceful shutdown)."""

    async def publish(self, event: Event) -> None:
        """Returns once the event is accepted by the backend (stored, for NATS JetStream)."""

    async def subscribe(
        self,
        handler: Handler,
        *,
        topics: Sequence[str] | None = None,
        durable: str | None = None,
    ) -> Subscription:
        """Deliver events of ``topics`` (all when None) to ``handler``, at least once.

        A handler that raises gets the event again later. ``durable`` names a consumer whose
        position survives unsubscribe and restarts (NATS); without it, delivery starts with
        events published after the call.
        """

    async def healthy(self) -> bool: ...


@dataclass(frozen=True)
class RetryPolicy:
    """How often a failing handler gets an event again, and how long it waits in between.

    The wait doubles from ``first_delay`` up to ``max_delay``; after ``max_attempts`` failed
    deliveries the event is logged and dropped for that handler.
    """

    max_attempts: int = 5
    first_delay: float = 0.05
    max_delay: float = 5.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not 0 < self.first_delay <= self.max_delay:
            raise ValueError("delays must satisfy 0 < first_delay <= max_delay")

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (counted from 1)."""
        return float(min(self.first_delay * 2 ** (attempt - 1), self.max_delay))


def normalize_topics(topics: Sequence[str] | None) -> tuple[str, ...] | None:
    """Check a subscription's topic filter: exact topic names, or None for every topic."""
    if topics is None:
        return None
    if isinstance(topics, str):
        raise TypeError("topics must be a list of topic names, not a single string")
    if not topics:
        raise ValueError("topics must not be empty; pass None to receive every topic")
    invalid = [topic for topic in topics if not is_valid_topic(topic)]
    if invalid:
        raise ValueError(f"invalid topic names {invalid}: expected 'domain.name_happened'")
    return tuple(dict.fromkeys(topics))


def check_durable_name(name: str | None) -> str | None:
    """A durable name becomes a NATS consumer name: letters, digits, '_' and '-' only."""
    if name is not None and not _DURABLE_NAME.fullmatch(name):
        raise ValueError(f"durable name {name!r} must be 1-64 letters, digits, '_' or '-'")
    return name


def topic_of(event: Event) -> str:
    """The topic ``event`` is published under; refuses abstract events that have none."""
    if not event.topic:
        raise ValueError(f"{type(event).__name__} has no topic; only concrete events publish")
    return event.topic


def handler_name(handler: Handler) -> str:
    return getattr(handler, "__qualname__", repr(handler))


def log_handler_failure(
    handler: Handler, event: Event, *, attempt: int, retry: RetryPolicy
) -> None:
    """Log (with the current exception) that ``handler`` raised; an error once it gives up."""
    final = attempt >= retry.max_attempts
    log.log(
        logging.ERROR if final else logging.WARNING,
        "bus handler failed; event dropped" if final else "bus handler failed; will retry",
        exc_info=True,
        extra={
            "topic": event.topic,
            "event_id": str(event.event_id),
            "handler": handler_name(handler),
            "attempt": attempt,
            "max_attempts": retry.max_attempts,
        },
    )


async def stop_worker(task: asyncio.Task[None], *, interrupt: bool, grace: float) -> None:
    """Stop a backend's delivery task: let it finish the event in hand for up to ``grace``
    seconds (or cancel at once when ``interrupt``, i.e. it is only waiting), then cancel it."""
    if interrupt:
        task.cancel()
    done, _ = await asyncio.wait({task}, timeout=grace)
    if not done:
        task.cancel()
        await asyncio.wait({task})
    if not task.cancelled() and task.exception() is not None:
        log.error("bus delivery task crashed", exc_info=task.exception())
