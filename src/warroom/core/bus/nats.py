"""NATS JetStream event bus: for several processes or machines sharing the work.

One stream (default ``WARROOM``) holds the subjects ``<prefix>.>`` (default prefix ``warroom``;
subject = prefix + "." + topic) in file storage for ``max_age`` (7 days). It is created or
updated at start. ``publish`` waits for the JetStream ack and sends the event_id as
``Nats-Msg-Id``, so an event sent twice within ``duplicate_window`` (an outbox relay retrying)
is stored once.

Each subscription reads pull consumers with explicit acks. With a ``durable`` name the consumer
is durable: its position survives unsubscribe, reconnects and restarts (created at deliver
policy "new", so a brand-new durable starts with events published after it). Without one it is
ephemeral (deliver "new") and deleted on unsubscribe. Several topics share one consumer through
``filter_subjects`` on NATS >= 2.10; older servers get one consumer per topic (a durable's are
named ``<durable>-<topic with dots as dashes>``), which keeps order per topic only.

A handler that returns acks the message; one that raises naks it with the
:class:`RetryPolicy` delay, and after ``max_attempts`` deliveries the failure is logged and the
message terminated. A message that is not a known event is logged and terminated. Messages are
fetched one at a time: lowest latency, one round trip per event and subscription.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from uuid import uuid4

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

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
from warroom.core.bus.events import Event, event_from_json

log = logging.getLogger("warroom.bus")

EPHEMERAL_INACTIVE_THRESHOLD = 300.0  # seconds; a crashed process's consumers go away
RECOVERY_DELAY = 1.0  # seconds between attempts to re-create a consumer after a fetch error
HEALTH_TIMEOUT = 2.0


@dataclass(frozen=True)
class _Settings:
    stream: str
    prefix: str
    retry: RetryPolicy
    ack_wait: float
    fetch_timeout: float
    drain_timeout: float


def parse_servers(url: str) -> list[str]:
    """``nats://a:4222,nats://b:4222`` -> the server list; refuses anything else."""
    servers = [server.strip() for server in url.split(",") if server.strip()]
    if not servers or any(not server.startswith("nats://") for server in servers):
        raise ValueError(f"not a NATS URL: {url!r}; expected nats://host:port[,nats://...]")
    return servers


class _PullWorker:
    """One pull consumer and the task that fetches from it and runs the handler."""

    def __init__(
        self, js: JetStreamContext, config: ConsumerConfig, handler: Handler, settings: _Settings
    ) -> None:
        self._js, self._config, self._handler, self._s = js, config, handler, settings
        self._name = str(config.name)
        self._psub: JetStreamContext.PullSubscription | None = None
        self._task: asyncio.Task[None] | None = None
        self._fetching = False
        self._stopping = False

    async def start(self) -> None:
        await self._js.add_consumer(self._s.stream, self._config)
        self._psub = await self._js.pull_subscribe_bind(consumer=self._name, stream=self._s.stream)
        self._task = asyncio.create_task(self._run(self._psub), name=f"bus:{self._name}")

    async def stop(self, *, grace: float) -> None:
        self._stopping = True
        if self._task is not None:
            await stop_worker(self._task, interrupt=self._fetching, grace=grace)
        if self._psub is not None:
            with suppress(NatsError):
                await self._psub.unsubscribe()
        if self._config.durable_name is None:
            with suppress(NatsError, TimeoutError):
                await self._js.delete_consumer(self._s.stream, self._name)

    async def _run(self, psub: JetStreamContext.PullSubscription) -> None:
        while not self._stopping:
            msg = await self._next(psub)
            if msg is not None:
                await self._handle_or_release(msg)

    async def _next(self, psub: JetStreamContext.PullSubscription) -> Msg | None:
        self._fetching = True
        try:
            return (await psub.fetch(1, timeout=self._s.fetch_timeout))[0]
        except TimeoutError:
            return None
        except NatsError as exc:
            await self._recover(exc)
            return None
        finally:
            self._fetching = False

    async def _recover(self, exc: NatsError) -> None:
        """A fetch failed (reconnecting, consumer removed...): wait, re-create, carry on."""
        log.warning("bus fetch failed", extra={"consumer": self._name, "error": repr(exc)})
        await asyncio.sleep(RECOVERY_DELAY)
        with suppress(NatsError, TimeoutError):
            await self._js.add_consumer(self._s.stream, self._config)

    async def _handle_or_release(self, msg: Msg) -> None:
        try:
            await self._handle(msg)
        except asyncio.CancelledError:
            with suppress(NatsError):
                await msg.nak()  # interrupted by stop(): let another delivery have it now
            raise

    async def _handle(self, msg: Msg) -> None:
        try:
            event = event_from_json(msg.data)
        except ValueError:
            log.exception("bus message is not a known event; terminated", extra=_where(msg))
            await self._settle(msg.term())
            return
        try:
            await self._run_handler(msg, event)
        except Exception:
            attempt = msg.metadata.num_delivered
            log_handler_failure(self._handler, event, attempt=attempt, retry=self._s.retry)
            await self._settle(self._after_failure(msg, attempt))
            return
        await self._settle(msg.ack())

    async def _run_handler(self, msg: Msg, event: Event) -> None:
        keep_alive = asyncio.create_task(self._keep_alive(msg))
        try:
            await self._handler(event)
        finally:
            keep_alive.cancel()

    async def _keep_alive(self, msg: Msg) -> None:
        """Tell JetStream a slow handler is still working, so it does not redeliver meanwhile."""
        while True:
            await asyncio.sleep(self._s.ack_wait / 2)
            with suppress(NatsError):
                await msg.in_progress()

    def _after_failure(self, msg: Msg, attempt: int) -> Awaitable[None]:
        if attempt >= self._s.retry.max_attempts:
            return msg.term()
        return msg.nak(delay=self._s.retry.delay(attempt))

    async def _settle(self, action: Awaitable[None]) -> None:
        """Send an ack/nak/term; if the connection drops, JetStream redelivers after ack_wait."""
        try:
            await action
        except NatsError as exc:
            log.warning("bus ack failed", extra={"consumer": self._name, "error": repr(exc)})


def _where(msg: Msg) -> dict[str, object]:
    return {"subject": msg.subject, "size": len(msg.data)}


class _NatsSubscription:
    def __init__(self, bus: NatsBus, workers: list[_PullWorker]) -> None:
        self._bus, self._workers = bus, workers

    async def start(self) -> None:
        for worker in self._workers:  # one by one, so a failure leaves nothing half-started
            await worker.start()

    async def unsubscribe(self) -> None:
        await self.stop(grace=self._bus.settings.drain_timeout)
        self._bus.forget(self)

    async def stop(self, *, grace: float) -> None:
        await asyncio.gather(*(worker.stop(grace=grace) for worker in self._workers))


class NatsBus:
    """The NATS JetStream :class:`~warroom.core.bus.base.Bus` (see the module docstring)."""

    def __init__(
        self,
        url: str,
        *,
        stream: str = "WARROOM",
        subject_prefix: str = "warroom",
        retry: RetryPolicy | None = None,
        max_age: timedelta = timedelta(days=7),
        duplicate_window: timedelta = timedelta(minutes=2),
        ack_wait: float = 30.0,
        connect_timeout: float = 5.0,
        request_timeout: float = 5.0,
        fetch_timeout: float = 5.0,
        drain_timeout: float = 5.0,
    ) -> None:
        self.url = url
        self.settings = _Settings(
            stream=stream,
            prefix=subject_prefix,
            retry=retry or RetryPolicy(),
            ack_wait=ack_wait,
            fetch_timeout=fetch_timeout,
            drain_timeout=drain_timeout,
        )
        self._servers = parse_servers(url)
        self._max_age, self._duplicate_window = max_age, duplicate_window
        self._connect_timeout, self._request_timeout = connect_timeout, request_timeout
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._closed = False
        self._subscriptions: set[_NatsSubscription] = set()

    async def start(self) -> None:
        """Connect and create or update the stream; BusError when NATS cannot be reached."""
        if self._closed:
            raise BusError("NatsBus is closed; create a new one")
        if self._nc is not None:
            return
        nc = await self._connect()
        js = nc.jetstream(timeout=self._request_timeout)
        try:
            await self._ensure_stream(js)
        except (NatsError, TimeoutError) as exc:
            await nc.close()
            stream = self.settings.stream
            raise BusError(f"JetStream at {self.url} refused stream {stream!r}: {exc!r}") from exc
        self._nc, self._js = nc, js

    async def close(self) -> None:
        """Stop fetching (in-flight handlers finish within ``drain_timeout``), then drain."""
        if self._closed:
            return
        self._closed = True
        subscriptions, self._subscriptions = self._subscriptions, set()
        grace = self.settings.drain_timeout
        await asyncio.gather(*(sub.stop(grace=grace) for sub in subscriptions))
        if self._nc is not None:
            await self._drain(self._nc)

    async def publish(self, event: Event) -> None:
        js = self._require_js()
        subject = self._subject(topic_of(event))
        headers = {"Nats-Msg-Id": str(event.event_id)}
        try:
            await js.publish(subject, event.to_json(), stream=self.settings.stream, headers=headers)
        except (NatsError, TimeoutError) as exc:
            raise BusError(f"publishing {event.topic} to JetStream failed: {exc!r}") from exc

    async def subscribe(
        self,
        handler: Handler,
        *,
        topics: Sequence[str] | None = None,
        durable: str | None = None,
    ) -> Subscription:
        js = self._require_js()
        wanted, name = normalize_topics(topics), check_durable_name(durable)
        configs = self._consumer_configs(handler, wanted, name)
        workers = [_PullWorker(js, config, handler, self.settings) for config in configs]
        subscription = _NatsSubscription(self, workers)
        try:
            await subscription.start()
        except (NatsError, TimeoutError) as exc:
            await subscription.stop(grace=0)
            raise BusError(f"creating the JetStream consumer failed: {exc!r}") from exc
        self._subscriptions.add(subscription)
        return subscription

    async def healthy(self) -> bool:
        """Connected and JetStream answers within a couple of seconds."""
        if self._closed or self._nc is None or self._js is None or not self._nc.is_connected:
            return False
        try:
            await asyncio.wait_for(self._js.account_info(), timeout=HEALTH_TIMEOUT)
        except (NatsError, TimeoutError):
            return False
        return True

    def forget(self, subscription: _NatsSubscription) -> None:
        self._subscriptions.discard(subscription)

    async def _connect(self) -> Client:
        nc = Client()
        connecting = nc.connect(
            servers=self._servers,
            max_reconnect_attempts=-1,
            error_cb=self._on_error,
            disconnected_cb=self._on_disconnected,
            reconnected_cb=self._on_reconnected,
        )
        try:
            await asyncio.wait_for(connecting, timeout=self._connect_timeout)
        except (NatsError, OSError, TimeoutError) as exc:
            await nc.close()
            raise BusError(
                f"cannot reach NATS at {self.url} within {self._connect_timeout:g} s: {exc!r}"
            ) from exc
        return nc

    async def _ensure_stream(self, js: JetStreamContext) -> None:
        config = StreamConfig(
            name=self.settings.stream,
            subjects=[f"{self.settings.prefix}.>"],
            storage=StorageType.FILE,
            max_age=self._max_age.total_seconds(),
            duplicate_window=self._duplicate_window.total_seconds(),
        )
        try:
            await js.stream_info(self.settings.stream)
        except NotFoundError:
            await js.add_stream(config)
            return
        await js.update_stream(config)

    def _consumer_configs(
        self, handler: Handler, topics: tuple[str, ...] | None, durable: str | None
    ) -> list[ConsumerConfig]:
        """One consumer for all topics, or one per topic where filter_subjects is missing."""
        if topics is None:
            groups: list[tuple[str | None, list[str]]] = [(None, [f"{self.settings.prefix}.>"])]
        elif len(topics) == 1 or self._supports_filter_subjects():
            groups = [(None, [self._subject(topic) for topic in topics])]
        else:
            groups = [(topic.replace(".", "-"), [self._subject(topic)]) for topic in topics]
        return [
            self._consumer_config(handler, durable, suffix, subjects) for suffix, subjects in groups
        ]

    def _consumer_config(
        self, handler: Handler, durable: str | None, suffix: str | None, subjects: list[str]
    ) -> ConsumerConfig:
        name = uuid4().hex if durable is None else "-".join(filter(None, (durable, suffix)))
        return ConsumerConfig(
            name=name,
            durable_name=name if durable else None,
            description=f"warroom {handler_name(handler)}",
            deliver_policy=DeliverPolicy.NEW,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.settings.ack_wait,
            max_deliver=self.settings.retry.max_attempts,
            filter_subject=subjects[0] if len(subjects) == 1 else None,
            filter_subjects=subjects if len(subjects) > 1 else None,
            inactive_threshold=None if durable else EPHEMERAL_INACTIVE_THRESHOLD,
        )

    def _supports_filter_subjects(self) -> bool:
        assert self._nc is not None
        version = self._nc.connected_server_version
        return (version.major, version.minor) >= (2, 10)

    def _subject(self, topic: str) -> str:
        return f"{self.settings.prefix}.{topic}"

    def _require_js(self) -> JetStreamContext:
        if self._closed:
            raise BusError("NatsBus is closed")
        if self._js is None:
            raise BusError("NatsBus is not started; call start() first")
        return self._js

    async def _drain(self, nc: Client) -> None:
        try:
            await asyncio.wait_for(nc.drain(), timeout=self.settings.drain_timeout)
        except (NatsError, TimeoutError) as exc:
            log.warning("NATS drain failed; closing", extra={"error": repr(exc)})
            await nc.close()

    async def _on_error(self, exc: Exception) -> None:
        log.warning("NATS connection error", extra={"servers": self._servers, "error": repr(exc)})

    async def _on_disconnected(self) -> None:
        if self._closed:
            return
        log.warning("NATS disconnected; reconnecting", extra={"servers": self._servers})

    async def _on_reconnected(self) -> None:
        server = self._nc.connected_url if self._nc is not None else None
        log.info("NATS reconnected", extra={"server": str(server)})
