"""In-process event bus: the default when warroom runs as one process.

Every subscription has its own mailbox and delivery task, so a slow handler never blocks
``publish`` or other subscribers. A handler that raises gets the event again after a doubling
backoff (see :class:`RetryPolicy`); after the last attempt the failure is logged and the event
dropped for that handler. Each subscriber sees one publisher's events in order, even across
retries: a retried event holds back the ones behind it (NATS instead delivers them meanwhile).

Durable subscriptions live as long as the bus: a durable name's mailbox keeps collecting events
while nobody is subscribed, and subscribing again under the name delivers them. Nothing
survives the process. Several subscriptions under one durable name share its mailbox, each
event going to one of them (like a shared NATS consumer).

Memory is bounded: each mailbox (one per durable name or non-durable subscription) holds at
most ``backlog_limit`` events (default 10,000); beyond that the oldest is dropped with a
warning in the log.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence

from warroom.core.bus.base import (
    BusError,
    Handler,
    RetryPolicy,
    Subscription,
    check_durable_name,
    handler_name,
    log_handler_failure,
    normalize_topics,
    stop_worker,
    topic_of,
)
from warroom.core.bus.events import Event

log = logging.getLogger("warroom.bus")

DEFAULT_BACKLOG_LIMIT = 10_000


class _Mailbox:
    """Events waiting for one consumer, oldest first."""

    def __init__(self, topics: tuple[str, ...] | None, limit: int) -> None:
        self.topics = topics
        self._limit = limit
        self._items: deque[Event] = deque()
        self._arrived = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._in_hand = 0
        self._dropped = 0

    def wants(self, event: Event) -> bool:
        return self.topics is None or event.topic in self.topics

    def retarget(self, topics: tuple[str, ...] | None) -> None:
        """Change the filter (a durable re-subscribed with other topics); drop what no longer
        matches, as NATS does when a consumer's filter changes."""
        self.topics = topics
        self._items = deque(event for event in self._items if self.wants(event))

    def put(self, event: Event) -> None:
        if len(self._items) >= self._limit:
            self._drop_oldest()
        self._items.append(event)
        self._mark_busy()

    def put_back(self, event: Event) -> None:
        """Return an event whose delivery was interrupted; it goes out first next time."""
        self._items.appendleft(event)
        self._mark_busy()

    async def take(self) -> Event:
        while not self._items:
            self._arrived.clear()
            await self._arrived.wait()
        self._in_hand += 1
        return self._items.popleft()

    def done(self) -> None:
        self._in_hand -= 1
        if not self._items and self._in_hand == 0:
            self._idle.set()

    async def wait_idle(self) -> None:
        await self._idle.wait()

    def _mark_busy(self) -> None:
        self._arrived.set()
        self._idle.clear()

    def _drop_oldest(self) -> None:
        dropped = self._items.popleft()
        self._dropped += 1
        if self._dropped == 1 or self._dropped % 1000 == 0:
            log.warning(
                "bus backlog full; dropping oldest events",
                extra={"topic": dropped.topic, "limit": self._limit, "dropped": self._dropped},
            )


class _MemorySubscription:
    def __init__(
        self, bus: InMemoryBus, mailbox: _Mailbox, handler: Handler, retry: RetryPolicy
    ) -> None:
        self.mailbox = mailbox
        self._bus, self._handler, self._retry = bus, handler, retry
        self._current: Event | None = None
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name=f"bus:{handler_name(handler)}")

    async def unsubscribe(self) -> None:
        await self.stop(grace=self._bus.drain_timeout)
        self._bus.forget(self)

    async def stop(self, *, grace: float) -> None:
        self._stopping = True
        await stop_worker(self._task, interrupt=self._current is None, grace=grace)

    async def _run(self) -> None:
        while not self._stopping:
            event = await self.mailbox.take()
            self._current = event
            try:
                await self._deliver(event)
            except asyncio.CancelledError:
                self.mailbox.put_back(event)
                raise
            finally:
                self._current = None
                self.mailbox.done()

    async def _deliver(self, event: Event) -> None:
        for attempt in range(1, self._retry.max_attempts + 1):
            try:
                await self._handler(event)
                return
            except Exception:
                log_handler_failure(self._handler, event, attempt=attempt, retry=self._retry)
            if attempt < self._retry.max_attempts:
                await asyncio.sleep(self._retry.delay(attempt))


class InMemoryBus:
    """The in-process :class:`~warroom.core.bus.base.Bus` (see the module docstring)."""

    def __init__(
        self,
        *,
        retry: RetryPolicy | None = None,
        backlog_limit: int = DEFAULT_BACKLOG_LIMIT,
        drain_timeout: float = 2.0,
    ) -> None:
        self.drain_timeout = drain_timeout
        self._retry = retry or RetryPolicy()
        self._backlog_limit = backlog_limit
        self._anonymous: set[_Mailbox] = set()
        self._durables: dict[str, _Mailbox] = {}
        self._subscriptions: set[_MemorySubscription] = set()
        self._state = "new"

    async def start(self) -> None:
        if self._state == "closed":
            raise BusError("InMemoryBus is closed; create a new one")
        self._state = "running"

    async def close(self) -> None:
        """Let handlers finish what was published (up to ``drain_timeout``), then stop."""
        if self._state == "closed":
            return
        self._state = "closed"
        busy = {subscription.mailbox for subscription in self._subscriptions}
        try:
            waits = (mailbox.wait_idle() for mailbox in busy)
            await asyncio.wait_for(asyncio.gather(*waits), timeout=self.drain_timeout)
        except TimeoutError:
            log.warning("bus closed before handlers finished", extra={"mailboxes": len(busy)})
        await asyncio.gather(*(sub.stop(grace=0) for sub in self._subscriptions))
        self._subscriptions.clear()

    async def publish(self, event: Event) -> None:
        self._require_running()
        topic_of(event)
        for mailbox in (*self._anonymous, *self._durables.values()):
            if mailbox.wants(event):
                mailbox.put(event)
        await asyncio.sleep(0)  # let subscribers run between events of a publishing loop

    async def subscribe(
        self,
        handler: Handler,
        *,
        topics: Sequence[str] | None = None,
        durable: str | None = None,
    ) -> Subscription:
        self._require_running()
        wanted, name = normalize_topics(topics), check_durable_name(durable)
        mailbox = self._durable_mailbox(name, wanted) if name else self._new_mailbox(wanted)
        subscription = _MemorySubscription(self, mailbox, handler, self._retry)
        self._subscriptions.add(subscription)
        return subscription

    async def healthy(self) -> bool:
        return self._state == "running"

    def forget(self, subscription: _MemorySubscription) -> None:
        self._subscriptions.discard(subscription)
        self._anonymous.discard(subscription.mailbox)

    def _new_mailbox(self, topics: tuple[str, ...] | None) -> _Mailbox:
        mailbox = _Mailbox(topics, self._backlog_limit)
        self._anonymous.add(mailbox)
        return mailbox

    def _durable_mailbox(self, name: str, topics: tuple[str, ...] | None) -> _Mailbox:
        mailbox = self._durables.get(name)
        if mailbox is None:
            mailbox = self._durables[name] = _Mailbox(topics, self._backlog_limit)
        elif mailbox.topics != topics:
            mailbox.retarget(topics)
        return mailbox

    def _require_running(self) -> None:
        if self._state == "new":
            raise BusError("InMemoryBus is not started; call start() first")
        if self._state == "closed":
            raise BusError("InMemoryBus is closed")
