"""The bus contract (warroom.core.bus.base), checked against every backend.

Absence ("X is not delivered") is checked with a marker: the subscriber receives a later
event, and per-publisher ordering means the earlier one would have arrived first.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Sequence

import pytest

from tests.core.bus.conftest import (
    FAST_RETRY,
    WAIT,
    Inbox,
    TcpProxy,
    consumer_info,
    new_nats_bus,
    raw_publish,
    running,
    until_acked,
    until_healthy,
)
from warroom.core.bus import Bus, BusError, Event, InMemoryBus, NatsBus, make_bus


class ThingHappened(Event):
    topic = "test.thing_happened"
    name: str
    count: int = 0


class OtherHappened(Event):
    topic = "test.other_happened"
    note: str = ""


class ThirdHappened(Event):
    topic = "test.third_happened"


def names(events: Sequence[Event]) -> list[str]:
    return [event.name for event in events if isinstance(event, ThingHappened)]


async def test_round_trip_rebuilds_the_typed_event(bus: Bus) -> None:
    inbox = Inbox()
    await bus.subscribe(inbox, topics=[ThingHappened.topic])
    sent = ThingHappened(name="pump 3", count=7)

    await bus.publish(sent)

    [received] = await inbox.wait_for(1)
    assert type(received) is ThingHappened
    assert received == sent


async def test_topic_filter_delivers_only_the_named_topics(bus: Bus) -> None:
    things, pair, everything = Inbox(), Inbox(), Inbox()
    await bus.subscribe(things, topics=[ThingHappened.topic])
    await bus.subscribe(pair, topics=[ThingHappened.topic, OtherHappened.topic])
    await bus.subscribe(everything)
    other, third, thing = OtherHappened(), ThirdHappened(), ThingHappened(name="a")

    for event in (other, third, thing):
        await bus.publish(event)

    assert await things.wait_for(1) == [thing]
    assert await everything.wait_for(3) == [other, third, thing]
    # Order across topics is per topic only on NATS < 2.10 (one consumer per topic).
    assert sorted(e.topic for e in await pair.wait_for(2)) == [other.topic, thing.topic]
    await bus.publish(ThingHappened(name="marker"))
    await pair.wait_for(3)
    assert third not in pair.events


async def test_several_subscribers_each_get_every_event(bus: Bus) -> None:
    inboxes = [Inbox() for _ in range(3)]
    for inbox in inboxes:
        await bus.subscribe(inbox, topics=[ThingHappened.topic])
    sent = [ThingHappened(name=f"n{i}") for i in range(5)]

    for event in sent:
        await bus.publish(event)

    for inbox in inboxes:
        assert await inbox.wait_for(5) == sent


async def test_unsubscribe_stops_delivery(bus: Bus) -> None:
    leaving, staying = Inbox(), Inbox()
    subscription = await bus.subscribe(leaving, topics=[ThingHappened.topic])
    await bus.subscribe(staying, topics=[ThingHappened.topic])
    await bus.publish(ThingHappened(name="before"))
    await leaving.wait_for(1)

    await subscription.unsubscribe()
    await bus.publish(ThingHappened(name="after"))
    await bus.publish(ThingHappened(name="marker"))

    await staying.wait_for(3)
    assert names(leaving.events) == ["before"]


async def test_handler_that_raises_gets_the_event_again(bus: Bus) -> None:
    attempts: list[Event] = []
    inbox = Inbox()

    async def flaky(event: Event) -> None:
        attempts.append(event)
        if len(attempts) == 1:
            raise RuntimeError("database busy")
        await inbox(event)

    await bus.subscribe(flaky, topics=[ThingHappened.topic])
    sent = ThingHappened(name="retry me")
    await bus.publish(sent)

    assert await inbox.wait_for(1) == [sent]
    assert attempts == [sent, sent]


async def test_handler_that_keeps_failing_is_given_up_and_logged(
    bus: Bus, caplog: pytest.LogCaptureFixture
) -> None:
    attempts: list[Event] = []
    inbox = Inbox()

    async def allergic_to_poison(event: Event) -> None:
        attempts.append(event)
        if names([event]) == ["poison"]:
            raise ValueError("cannot handle this one")
        await inbox(event)

    caplog.set_level(logging.WARNING, logger="warroom.bus")
    await bus.subscribe(allergic_to_poison, topics=[ThingHappened.topic])
    poison = ThingHappened(name="poison")
    await bus.publish(poison)
    await bus.publish(ThingHappened(name="fine"))

    await inbox.wait_for(1)
    gave_up = await _wait_for_record(caplog, "event dropped")
    assert names(attempts).count("poison") == FAST_RETRY.max_attempts
    assert gave_up.levelno == logging.ERROR
    assert gave_up.__dict__["event_id"] == str(poison.event_id)
    assert gave_up.__dict__["attempt"] == FAST_RETRY.max_attempts


async def test_durable_subscriber_misses_nothing_while_away(bus: Bus) -> None:
    first = Inbox()
    subscription = await bus.subscribe(first, topics=[ThingHappened.topic], durable="audit")
    await bus.publish(ThingHappened(name="seen"))
    await first.wait_for(1)
    await subscription.unsubscribe()

    missed = [ThingHappened(name="while away 1"), ThingHappened(name="while away 2")]
    for event in missed:
        await bus.publish(event)
    again = Inbox()
    await bus.subscribe(again, topics=[ThingHappened.topic], durable="audit")

    assert await again.wait_for(2) == missed
    await bus.publish(ThingHappened(name="marker"))
    assert names(await again.wait_for(3))[2] == "marker"


async def test_order_per_publisher_is_kept_for_one_subscriber(bus: Bus) -> None:
    inbox = Inbox()
    await bus.subscribe(inbox)
    sent = [ThingHappened(name=f"seq {i}") for i in range(60)]

    for event in sent:
        await bus.publish(event)

    assert await inbox.wait_for(60) == sent


async def test_close_lets_handlers_finish_then_refuses_work(bus: Bus) -> None:
    started, release, finished = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def slow(event: Event) -> None:
        started.set()
        await release.wait()
        finished.set()

    await bus.subscribe(slow)
    await bus.publish(ThingHappened(name="in flight"))
    await asyncio.wait_for(started.wait(), WAIT)
    tasks_before_close = asyncio.all_tasks()

    closing = asyncio.create_task(bus.close())
    await asyncio.sleep(0)  # let close() begin while the handler is still busy
    release.set()
    await asyncio.wait_for(closing, WAIT)

    assert finished.is_set()
    assert not await bus.healthy()
    with pytest.raises(BusError, match="closed"):
        await bus.publish(ThingHappened(name="too late"))
    await bus.close()  # closing twice is harmless
    assert not (asyncio.all_tasks() & tasks_before_close) - {asyncio.current_task()}


async def test_subscribe_rejects_bad_filters_and_durable_names(bus: Bus) -> None:
    inbox = Inbox()
    with pytest.raises(TypeError, match="list"):
        await bus.subscribe(inbox, topics=ThingHappened.topic)
    for topics in ([], ["test.*"], ["test.>"], ["no_dot"]):
        with pytest.raises(ValueError, match="topic"):
            await bus.subscribe(inbox, topics=topics)
    for name in ("has.dot", "has space", ""):
        with pytest.raises(ValueError, match="durable name"):
            await bus.subscribe(inbox, durable=name)


async def test_healthy_only_while_running(unstarted_bus: Bus) -> None:
    assert not await unstarted_bus.healthy()
    with pytest.raises(BusError, match="not started"):
        await unstarted_bus.publish(ThingHappened(name="early"))

    async with running(unstarted_bus):
        assert await unstarted_bus.healthy()

    assert not await unstarted_bus.healthy()


async def test_memory_durable_backlog_is_bounded() -> None:
    async with running(InMemoryBus(backlog_limit=3)) as bus:
        away = await bus.subscribe(Inbox(), durable="slowpoke")
        await away.unsubscribe()
        sent = [ThingHappened(name=f"seq {i}") for i in range(5)]
        for event in sent:
            await bus.publish(event)
        inbox = Inbox()
        await bus.subscribe(inbox, durable="slowpoke")

        assert await inbox.wait_for(3) == sent[-3:]


@pytest.mark.nats
async def test_nats_unreachable_server_gives_a_clear_error() -> None:
    port = _unused_port()
    bus = NatsBus(f"nats://127.0.0.1:{port}", connect_timeout=0.5)

    assert not await bus.healthy()
    with pytest.raises(BusError, match=f"cannot reach NATS at nats://127.0.0.1:{port}"):
        await bus.start()
    assert not await bus.healthy()
    await bus.close()


@pytest.mark.nats
async def test_nats_terminates_messages_that_are_not_events(nats_bus: NatsBus) -> None:
    inbox = Inbox()
    await nats_bus.subscribe(inbox, durable="picky")
    prefix = nats_bus.settings.prefix
    await raw_publish(f"{prefix}.test.thing_happened", b"{not json")
    await raw_publish(f"{prefix}.test.unknown", b'{"topic": "test.unknown", "event": {}}')
    good = ThingHappened(name="after the junk")

    await nats_bus.publish(good)

    assert await inbox.wait_for(1) == [good]
    await asyncio.wait_for(until_acked(nats_bus.settings.stream, "picky", stream_seq=3), WAIT)


@pytest.mark.nats
async def test_nats_stores_an_event_published_twice_once(nats_bus: NatsBus) -> None:
    inbox = Inbox()
    await nats_bus.subscribe(inbox)
    twice, marker = ThingHappened(name="relayed twice"), ThingHappened(name="marker")

    for event in (twice, twice, marker):
        await nats_bus.publish(event)

    assert await inbox.wait_for(2) == [twice, marker]


@pytest.mark.nats
async def test_nats_acknowledges_handled_events(nats_bus: NatsBus) -> None:
    inbox = Inbox()
    await nats_bus.subscribe(inbox, durable="acker")

    for name in ("one", "two"):
        await nats_bus.publish(ThingHappened(name=name))

    await inbox.wait_for(2)
    await asyncio.wait_for(until_acked(nats_bus.settings.stream, "acker", stream_seq=2), WAIT)


@pytest.mark.nats
@pytest.mark.usefixtures("nats_server")
async def test_nats_slow_handler_is_not_redelivered_meanwhile() -> None:
    inbox = Inbox()

    async def slow(event: Event) -> None:
        await asyncio.sleep(0.7)  # longer than ack_wait: the bus must report progress
        await inbox(event)

    async with running(new_nats_bus(ack_wait=0.4)) as bus:
        assert isinstance(bus, NatsBus)
        for _ in range(2):  # two workers share the consumer, as two processes would
            await bus.subscribe(slow, durable="slow")
        await bus.publish(ThingHappened(name="takes a while"))
        await inbox.wait_for(1)
        await asyncio.wait_for(until_acked(bus.settings.stream, "slow", stream_seq=1), WAIT)

        info = await consumer_info(bus.settings.stream, "slow")
        assert info.delivered is not None
        assert info.delivered.consumer_seq == 1  # delivered once: never handed to the other


@pytest.mark.nats
@pytest.mark.usefixtures("nats_server")
async def test_nats_subscription_survives_a_dropped_connection() -> None:
    proxy = await TcpProxy.start("127.0.0.1", 4222)
    inbox = Inbox()
    try:
        async with running(new_nats_bus(proxy.url)) as bus:
            await bus.subscribe(inbox, durable="steady")
            await bus.publish(ThingHappened(name="before"))
            await inbox.wait_for(1)

            proxy.cut()
            await asyncio.wait_for(until_healthy(bus), WAIT)
            await bus.publish(ThingHappened(name="after"))

            assert names(await inbox.wait_for(2)) == ["before", "after"]
    finally:
        await proxy.stop()


def test_make_bus_picks_the_backend_from_the_url() -> None:
    assert isinstance(make_bus("memory://"), InMemoryBus)
    assert isinstance(make_bus("nats://10.0.0.1:4222,nats://10.0.0.2:4222"), NatsBus)
    for url in ("redis://localhost:6379", "", "memory"):
        with pytest.raises(ValueError, match=r"memory://.*nats://"):
            make_bus(url)


async def _wait_for_record(caplog: pytest.LogCaptureFixture, message: str) -> logging.LogRecord:
    async def poll() -> logging.LogRecord:
        while True:
            for record in caplog.records:
                if message in record.getMessage():
                    return record
            await asyncio.sleep(0.01)

    return await asyncio.wait_for(poll(), WAIT)


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
