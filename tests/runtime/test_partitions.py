"""Partitions against the real broker and Mongo-wire server: leases shared out among replicas, and events routed
to partition queues by their shard header, consumed only where a replica holds the partition."""

from __future__ import annotations

import asyncio
from typing import Any

import aio_pika
import pytest

from contracts import topology
from contracts.envelope import Envelope
from pilar_dev.testing import eventually, publish_event
from pilar_runtime.brokerusers import producer_users
from pilar_runtime.bus import Bus, Topology
from pilar_runtime.consumer import EventConsumer, EventHandlers
from pilar_runtime.mongo import Mongo, UnitOfWork
from pilar_runtime.partitions import PartitionLeases, PartitionsDisagree, refuse_other_partitions, share_of
from tests.runtime.helpers import worker_event


@pytest.mark.parametrize(("partitions", "replicas", "share"), [(4, 1, 4), (4, 2, 2), (4, 3, 2), (2, 3, 1), (1, 2, 1)])
def test_each_replica_holds_its_share_rounded_up(partitions: int, replicas: int, share: int) -> None:
    assert share_of(partitions, replicas) == share


async def test_replicas_share_the_partitions_out_and_take_over_those_of_one_that_stops(mongo: Mongo) -> None:
    first = PartitionLeases(mongo, 4, lease_seconds=0.6)
    second = PartitionLeases(mongo, 4, lease_seconds=0.6)
    assert await first.balance() == ({0, 1, 2, 3}, set())  # alone: all of them
    assert await second.balance() == (set(), set())  # all held: it waits for its share
    kept, surplus = await first.balance()  # two replicas now: two are too many
    assert len(kept) == 2 and len(surplus) == 2
    await first.release(surplus)
    mine, _ = await second.balance()
    assert mine == surplus and not mine & kept

    await second.leave()  # a replica stopping gives its partitions up at once
    assert (await first.balance())[0] == {0, 1, 2, 3}

    third = PartitionLeases(mongo, 4, lease_seconds=0.6)
    await third.balance()
    kept, surplus = await first.balance()
    await first.release(surplus)
    taken, _ = await third.balance()
    assert len(taken) == 2
    await asyncio.sleep(0.8)  # the third replica dies without a word: its leases run out
    assert (await first.balance())[0] == {0, 1, 2, 3}


def noting_bus(handled: list[str], amqp_url: str, namespace: str, mongo: Mongo, partitions: int) -> Bus:
    """Reporting's bus with the given partitions, its consumer noting the workers of the events it handles."""
    handlers = EventHandlers()

    @handlers.on("worker_registered")
    async def note(envelope: Envelope, payload: Any, uow: UnitOfWork) -> None:
        handled.append(payload.worker_id)

    consumer = EventConsumer(
        "reporting", handlers, mongo, producer_users=producer_users(amqp_url, {}, "reporting"), delivery_limit=3
    )
    return Bus(amqp_url, Topology("reporting", namespace, partitions=partitions), consumer)


async def queued_while_stopped(
    partitions: int,
    events: list[Envelope],
    amqp: aio_pika.abc.AbstractConnection,
    amqp_url: str,
    namespace: str,
    mongo: Mongo,
) -> aio_pika.abc.AbstractExchange:
    """The service ran with ``partitions`` and stopped (for a change of their number); ``events`` came meanwhile.
    Returns the events exchange, for the events that come after."""
    before = noting_bus([], amqp_url, namespace, mongo, partitions=partitions)
    await before.start()
    await before.stop()
    channel = await amqp.channel()
    exchange = await channel.get_exchange(topology.namespaced(topology.EVENTS_EXCHANGE, namespace))
    for event in events:
        await publish_event(exchange, event, amqp_url=amqp_url)
    return exchange


async def test_events_reach_the_partition_of_their_shard_and_only_held_partitions_are_consumed(
    amqp: aio_pika.abc.AbstractConnection, amqp_url: str, namespace: str, mongo: Mongo
) -> None:
    handled: list[str] = []
    bus = noting_bus(handled, amqp_url, namespace, mongo, partitions=2)
    await bus.start()
    try:
        channel = await amqp.channel()
        exchange = await channel.get_exchange(topology.namespaced(topology.EVENTS_EXCHANGE, namespace))
        events = [worker_event(f"w-{i}") for i in range(12)]
        for event in events:
            await publish_event(exchange, event, amqp_url=amqp_url)
        headless = worker_event("w-headless")  # published without a shard header: partition 0 takes it
        await exchange.publish(aio_pika.Message(headless.to_json(), user_id=bus.user), routing_key=headless.routing_key)
        in_first = {e.payload["worker_id"] for e in events if topology.partition_of(e.aggregate_id, 2) == 0}
        in_second = {e.payload["worker_id"] for e in events} - in_first
        assert in_first and in_second  # the shards spread these aggregates over both partitions

        await bus.hold({1})
        await eventually(lambda: asyncio.sleep(0, set(handled) == in_second), what="partition 1's events")
        await asyncio.sleep(0.3)
        assert set(handled) == in_second  # nothing of partition 0, which this replica does not hold
        waiting, consumers, _ = await bus.queue_counts() or (0, 0, 0)
        assert (waiting, consumers) == (len(in_first) + 1, 1)

        await bus.hold({0})
        everything = in_first | in_second | {"w-headless"}
        await eventually(lambda: asyncio.sleep(0, set(handled) == everything), what="partition 0's events")
        assert len(handled) == len(everything) and bus.consumed_partitions == {0}
    finally:
        await bus.stop()


async def test_going_partitioned_drains_the_one_queue_of_before_which_gets_no_new_events(
    amqp: aio_pika.abc.AbstractConnection, amqp_url: str, namespace: str, mongo: Mongo
) -> None:
    handled: list[str] = []
    old = [worker_event(f"w-old-{i}") for i in range(3)]  # arriving in its one queue while it is stopped
    exchange = await queued_while_stopped(1, old, amqp, amqp_url, namespace, mongo)

    after = noting_bus(handled, amqp_url, namespace, mongo, partitions=2)
    await after.start()  # holds no partition yet: only the old queue is consumed
    try:
        await eventually(lambda: asyncio.sleep(0, len(handled) == 3), what="the old queue drained")
        for i in range(4):
            await publish_event(exchange, worker_event(f"w-new-{i}"), amqp_url=amqp_url)
        await asyncio.sleep(0.5)
        assert sorted(handled) == [f"w-old-{i}" for i in range(3)]  # the new ones went to the partitions
        waiting, _, _ = await after.queue_counts() or (0, 0, 0)
        assert waiting == 4
    finally:
        await after.stop()


async def test_fewer_partitions_drain_and_retire_the_queues_beyond_their_number(
    amqp: aio_pika.abc.AbstractConnection, amqp_url: str, namespace: str, mongo: Mongo
) -> None:
    handled: list[str] = []
    events = [worker_event(f"w-{i}") for i in range(16)]
    exchange = await queued_while_stopped(4, events, amqp, amqp_url, namespace, mongo)
    beyond = {e.payload["worker_id"] for e in events if topology.partition_of(e.aggregate_id, 4) >= 2}
    assert beyond

    after = noting_bus(handled, amqp_url, namespace, mongo, partitions=2)
    await after.start()  # holds no partition yet: only partitions 2 and 3 of before are consumed, to the end
    try:
        await eventually(lambda: asyncio.sleep(0, set(handled) == beyond), what="the retired partitions drained")
        _, consumers, _ = await after.queue_counts() or (0, 0, 0)
        assert consumers == 2  # the two retired queues, drained still: `pilar status` counts them with the rest
        more = worker_event("w-later")
        await publish_event(exchange, more, amqp_url=amqp_url)
        await asyncio.sleep(0.5)
        assert set(handled) == beyond  # a new event goes to partition 0 or 1 only, which nobody holds here
    finally:
        await after.stop()


async def test_back_to_one_queue_the_partitions_get_no_new_events_and_are_drained(
    amqp: aio_pika.abc.AbstractConnection, amqp_url: str, namespace: str, mongo: Mongo
) -> None:
    handled: list[str] = []
    old = [worker_event(f"w-old-{i}") for i in range(8)]
    exchange = await queued_while_stopped(4, old, amqp, amqp_url, namespace, mongo)

    after = noting_bus(handled, amqp_url, namespace, mongo, partitions=1)
    await after.start()
    try:
        for i in range(8):
            await publish_event(exchange, worker_event(f"w-new-{i}"), amqp_url=amqp_url)
        expected = {f"w-{age}-{i}" for age in ("old", "new") for i in range(8)}
        await eventually(lambda: asyncio.sleep(0, set(handled) == expected), what="old and new events handled")
        await asyncio.sleep(0.3)
        assert sorted(handled) == sorted(expected)  # each once: the partitions got no copy of the new ones
        for p in range(4):
            queue = await (await amqp.channel()).declare_queue(
                topology.partition_queue("reporting", p, namespace), passive=True
            )
            assert queue.declaration_result.message_count == 0
    finally:
        await after.stop()


async def test_a_replica_is_refused_beside_one_alive_with_another_number_of_partitions(mongo: Mongo) -> None:
    four = PartitionLeases(mongo, 4, lease_seconds=30)
    await four.balance()  # its heartbeat says how many partitions it has
    await refuse_other_partitions(mongo, 4, lease_seconds=30)  # the same number: welcome
    for other in (1, 2):
        with pytest.raises(
            PartitionsDisagree, match=f"another replica runs with 4 partitions and this one with {other}"
        ):
            await refuse_other_partitions(mongo, other, lease_seconds=30)
    await four.leave()  # stopped: its number no longer holds anyone back
    await refuse_other_partitions(mongo, 2, lease_seconds=30)
    crashed = PartitionLeases(mongo, 4, lease_seconds=0.2)
    await crashed.balance()  # and never left: refused until its heartbeat is a lease old
    with pytest.raises(PartitionsDisagree):
        await refuse_other_partitions(mongo, 2, lease_seconds=0.2)
    await asyncio.sleep(0.3)
    await refuse_other_partitions(mongo, 2, lease_seconds=0.2)
