"""Retries and dead letters as RabbitMQ 3.13 and 4.x count them, against the real broker.

From RabbitMQ 4.3 only ``basic.reject`` counts as a failed delivery, and RabbitMQ 4 drops a quorum queue's
message after 20 deliveries unless the queue says otherwise: a retry must be a reject, and the DLQs carry a
limit of their own.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import AsyncIterator
from typing import Any, cast

import aio_pika
import pytest
import structlog
from aio_pika.abc import AbstractIncomingMessage

from contracts import topology
from contracts.envelope import Envelope
from pilar_dev.testing import eventually, publish_event
from pilar_runtime.brokerusers import producer_users
from pilar_runtime.bus import AckBatcher, Bus, RabbitDelivery, Topology
from pilar_runtime.consumer import REASON_HEADER, EventConsumer, EventHandlers, IncomingMessage
from pilar_runtime.mongo import Mongo, UnitOfWork
from tests.runtime.helpers import worker_event


class CountingConsumer(EventConsumer):
    """Notes each delivery's count as the broker reports it (``x-delivery-count``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.counts: list[int] = []

    async def consume(self, message: IncomingMessage) -> None:
        self.counts.append(message.delivery_count)
        await super().consume(message)


def always_failing() -> EventHandlers:
    handlers = EventHandlers()

    @handlers.on("worker_registered")
    async def fail(envelope: Envelope, payload: Any, uow: UnitOfWork) -> None:
        raise RuntimeError("projection store unavailable")

    return handlers


@pytest.fixture
async def bus(amqp_url: str, namespace: str, mongo: Mongo) -> AsyncIterator[Bus]:
    limit = 3
    consumer = CountingConsumer(
        "reporting",
        always_failing(),
        mongo,
        producer_users=producer_users(amqp_url, {}, "reporting"),
        delivery_limit=limit,
    )
    bus = Bus(amqp_url, Topology("reporting", namespace, delivery_limit=limit), consumer, prefetch=8)
    await bus.start()
    yield bus
    await bus.stop()


async def publish(amqp: aio_pika.abc.AbstractConnection, amqp_url: str, namespace: str, event: Envelope) -> None:
    channel = await amqp.channel()
    exchange = await channel.get_exchange(topology.namespaced(topology.EVENTS_EXCHANGE, namespace))
    await publish_event(exchange, event, amqp_url=amqp_url)


async def dead_letter(amqp: aio_pika.abc.AbstractConnection, bus: Bus) -> AbstractIncomingMessage:
    channel = await amqp.channel()
    queue = await channel.get_queue(bus.topology.dlq.name)
    found: list[AbstractIncomingMessage] = []

    async def arrived() -> bool:
        message = await queue.get(no_ack=True, fail=False)
        if message is not None:
            found.append(message)
        return bool(found)

    await eventually(arrived, what="a dead letter")
    return found[0]


async def test_a_retry_is_a_reject_that_requeues() -> None:
    settled: list[tuple[str, bool]] = []

    class Raw:
        delivery_tag, channel, headers, body = 7, object(), {"x-delivery-count": 1}, b"{}"
        routing_key = exchange = user_id = None

        async def reject(self, requeue: bool = False) -> None:
            settled.append(("reject", requeue))

        async def nack(self, multiple: bool = False, requeue: bool = True) -> None:
            settled.append(("nack", requeue))

    class AnyBus:
        acks = AckBatcher()

    delivery = RabbitDelivery(cast(AbstractIncomingMessage, Raw()), cast(Bus, AnyBus()))
    await delivery.requeue()
    assert settled == [("reject", True)]
    assert delivery.delivery_count == 1


async def test_a_failing_handler_is_redelivered_with_a_growing_count_then_dead_lettered_with_its_reason(
    bus: Bus, amqp: aio_pika.abc.AbstractConnection, amqp_url: str, namespace: str
) -> None:
    await publish(amqp, amqp_url, namespace, worker_event("w-fails"))
    letter = await dead_letter(amqp, bus)

    consumer = cast(CountingConsumer, bus.consumer)
    assert consumer.counts == [0, 1, 2]  # the broker counted every reject
    assert "attempt 3 of 3" in str(letter.headers[REASON_HEADER])
    assert "projection store unavailable" in str(letter.headers[REASON_HEADER])
    assert "x-death" not in (letter.headers or {})  # dead-lettered by the consumer with its reason, not the broker


def test_the_dead_letter_queue_declares_a_limit_no_listing_reaches() -> None:
    dlq = Topology("reporting").dlq
    assert dlq.arguments is not None
    assert dlq.arguments["x-delivery-limit"] >= 100_000


async def test_the_dead_letter_queue_keeps_a_message_returned_many_times(
    bus: Bus, amqp: aio_pika.abc.AbstractConnection
) -> None:
    channel = await amqp.channel()
    await bus.dead_letters().publish(
        aio_pika.Message(b'{"kept": true}', headers={REASON_HEADER: "kept for an operator"}),
        routing_key=bus.topology.dead_letter_key,
    )
    queue = await channel.get_queue(bus.topology.dlq.name)
    counts = []
    for _ in range(25):  # more than RabbitMQ 4's default limit of 20
        message = await queue.get(no_ack=False, timeout=5)
        counts.append((message.headers or {}).get("x-delivery-count", 0))
        await message.reject(requeue=True)
    last = await queue.get(no_ack=False, timeout=5)
    assert last.body == b'{"kept": true}'
    assert last.headers["x-delivery-count"] == 25
    assert counts == list(range(25))
    await last.ack()
    # RabbitMQ 3.x keeps it anyway (it has no default limit); 4.x keeps it because the broker holds the DLQ's own
    # limit, which is what RabbitMQ 4 would otherwise default to 20.
    queues = json.loads(_rabbitmqctl("list_queues", "name", "arguments", "--formatter", "json"))
    [declared] = [dict((k, v) for k, _, v in q["arguments"]) for q in queues if q["name"] == bus.topology.dlq.name]
    assert declared["x-delivery-limit"] == topology.DEAD_LETTER_DELIVERY_LIMIT


def _rabbitmqctl(*args: str) -> str:
    done = subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, f"rabbitmqctl {args[0]} (needs the broker's machine, as root): {done.stderr}"
    return done.stdout


async def test_a_dead_letter_queue_an_earlier_release_declared_is_used_as_it_is_and_the_policy_gives_it_the_limit(
    amqp_url: str, namespace: str, mongo: Mongo, amqp: aio_pika.abc.AbstractConnection
) -> None:
    topo = Topology("reporting", namespace, delivery_limit=2)
    channel = await amqp.channel()
    await channel.declare_queue(topo.dlq.name, durable=True, arguments={"x-queue-type": "quorum"})

    consumer = EventConsumer(
        "reporting",
        always_failing(),
        mongo,
        producer_users=producer_users(amqp_url, {}, "reporting"),
        delivery_limit=2,
    )
    bus = Bus(amqp_url, topo, consumer, prefetch=8)
    with structlog.testing.capture_logs() as logs:
        await bus.start()
    try:
        assert [e for e in logs if e["event"] == "bus.dead_letter_queue_without_limit"]
        await publish(amqp, amqp_url, namespace, worker_event("w-old-dlq"))
        letter = await dead_letter(amqp, bus)
        assert "attempt 2 of 2" in str(letter.headers[REASON_HEADER])
    finally:
        await bus.stop()

    policy = topology.dead_letter_policy(namespace)
    _rabbitmqctl(
        "set_policy",
        "--apply-to",
        str(policy["apply-to"]),
        str(policy["name"]),
        str(policy["pattern"]),
        json.dumps(policy["definition"]),
    )
    try:
        listed = _rabbitmqctl("list_queues", "name", "policy", "--formatter", "json")
        policies = {q["name"]: q["policy"] for q in json.loads(listed) if q["name"].startswith(f"{namespace}.")}
        assert policies[topo.dlq.name] == policy["name"]
        assert policies[topo.queue.name] == ""  # the service queue keeps its own arguments only
    finally:
        _rabbitmqctl("clear_policy", str(policy["name"]))
