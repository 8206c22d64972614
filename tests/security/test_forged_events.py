"""Finding 9: anyone who can publish to the broker could forge any service's events.

A real consumer (the runtime's EventConsumer on notify's queue, which takes registry.*, outreach.* and
reporting.*) against the real broker. Forged events land in the DLQ with their reason and have no effect; the
genuine event published after them is handled, so "no effect" is observed, not waited for. With broker users
created for the test (rabbitmqctl on the broker's machine) the broker itself refuses a forged user_id and a
routing key outside the user's own prefix, and the consumer refuses a registry event another user published.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from datetime import date
from typing import Any

import aio_pika
import pytest
from aio_pika.abc import AbstractConnection, AbstractExchange
from aiormq.exceptions import ChannelAccessRefused, ChannelPreconditionFailed

from contracts import topology
from contracts.envelope import Envelope
from contracts.events.registry import InstitutionFormed
from pilar.dlq import redriven_user_id
from pilar_dev.testing import eventually, publish_event
from pilar_runtime.brokerusers import (
    Rabbitmqctl,
    RabbitmqctlError,
    broker_user,
    broker_vhost,
    producer_users,
    with_user,
)
from pilar_runtime.bus import Bus, Topology
from pilar_runtime.consumer import REASON_HEADER, USER_HEADER, EventConsumer, EventHandlers
from pilar_runtime.events import new_event
from pilar_runtime.mongo import Mongo, UnitOfWork


def wksbm_formed() -> Envelope:
    return new_event(
        "WKSBM_formed",
        InstitutionFormed(
            institution_id=f"ins_{uuid.uuid4().hex[:8]}",
            kind="WKSBM",
            name="WKSBM Tepus",
            region_code="34.03.13",
            formed_on=date(2026, 3, 2),
            board=[],
        ),
        actor="registry",
        region_code="34.03.13",
        aggregate_id="ins_x",
        aggregate_version=1,
    )


class Consumer:
    """notify's queue consumed by the runtime's consumer; every event it handles leaves an effect."""

    def __init__(self, amqp_url: str, namespace: str, mongo: Mongo, producers: Mapping[str, str]) -> None:
        self.mongo = mongo
        handlers = EventHandlers()

        @handlers.on("WKSBM_formed")
        async def record(envelope: Envelope, payload: Any, uow: UnitOfWork) -> None:
            await uow.db.effects.insert_one({"_id": str(envelope.event_id)}, session=uow.session)

        consumer = EventConsumer("notify", handlers, mongo, producer_users=producers, delivery_limit=3)
        self.bus = Bus(amqp_url, Topology("notify", namespace, delivery_limit=3), consumer, prefetch=8)

    async def dead_letters(self, amqp: AbstractConnection, expect: int) -> list[aio_pika.abc.AbstractIncomingMessage]:
        channel = await amqp.channel()
        queue = await channel.declare_queue(self.bus.topology.dlq.name, passive=True)
        found: list[aio_pika.abc.AbstractIncomingMessage] = []

        async def all_there() -> bool:
            while (message := await queue.get(fail=False)) is not None:
                await message.ack()
                found.append(message)
            return len(found) >= expect

        await eventually(all_there, what=f"{expect} dead letter(s)")
        return found

    async def effects(self) -> set[str]:
        return {d["_id"] async for d in self.mongo.db.effects.find()}

    async def handled(self, event: Envelope) -> None:
        async def done() -> bool:
            return str(event.event_id) in await self.effects()

        await eventually(done, what=f"{event.event_type} handled")


@pytest.fixture
async def consumer(amqp_url: str, namespace: str, mongo: Mongo) -> AsyncIterator[Consumer]:
    """The whole stack runs as one broker user here, as in local development."""
    running = Consumer(amqp_url, namespace, mongo, producer_users(amqp_url, {}, "notify"))
    await running.bus.start()
    yield running
    await running.bus.stop()


@pytest.fixture
async def events(amqp: AbstractConnection, namespace: str) -> AbstractExchange:
    channel = await amqp.channel(publisher_confirms=True)
    return await channel.get_exchange(topology.namespaced(topology.EVENTS_EXCHANGE, namespace))


async def publish(exchange: AbstractExchange, event: Envelope, routing_key: str, user_id: str | None) -> None:
    # The header a consumer puts on its dead letters for a redrive, claimed by the forger in advance.
    message = aio_pika.Message(event.to_json(), user_id=user_id, headers={USER_HEADER: "pilar-registry"})
    await exchange.publish(message, routing_key=routing_key)


def claimed_by_outreach() -> Envelope:
    """registry's event with the envelope saying outreach produced it."""
    return wksbm_formed().model_copy(update={"producer": "outreach"})


@pytest.mark.parametrize(
    ("forge", "routing_key", "with_user_id", "reason"),
    [
        # registry's fact sent under outreach's routing key reaches whoever binds outreach.*
        (wksbm_formed, "outreach.FGD_held", True, "routing key 'outreach.FGD_held' disagrees"),
        # a routing key that agrees with an envelope whose producer is not the catalogue's
        (claimed_by_outreach, "outreach.WKSBM_formed", True, "WKSBM_formed is produced by registry, not outreach"),
        # everything agrees, but nobody the broker vouches for published it
        (wksbm_formed, "registry.WKSBM_formed", False, "published with no user_id, not registry's broker user"),
    ],
    ids=["routing-key", "producer", "no-user-id"],
)
async def test_a_forged_event_is_dead_lettered_with_its_reason_and_has_no_effect(
    consumer: Consumer,
    events: AbstractExchange,
    amqp: AbstractConnection,
    amqp_url: str,
    forge: Any,
    routing_key: str,
    with_user_id: bool,
    reason: str,
) -> None:
    forged: Envelope = forge()
    await publish(events, forged, routing_key, broker_user(amqp_url) if with_user_id else None)
    [letter] = await consumer.dead_letters(amqp, expect=1)
    assert reason in str(letter.headers[REASON_HEADER])
    assert letter.body == forged.to_json()
    # The dead letter names who really published it, and comes from the consumer itself.
    assert letter.headers.get(USER_HEADER) == (broker_user(amqp_url) if with_user_id else None)
    assert letter.user_id == broker_user(amqp_url)

    genuine = wksbm_formed()
    await publish_event(events, genuine, amqp_url=amqp_url)
    await consumer.handled(genuine)
    assert await consumer.effects() == {str(genuine.event_id)}


# With one broker user per service, as compose runs it.


@pytest.fixture
def service_users(amqp_url: str, namespace: str) -> Iterator[dict[str, str]]:
    """Broker users for registry, outreach and notify with the grants `pilar up` and compose give them, limited
    to this test's namespace; deleted afterwards (the broker keeps users between runs). Yields their AMQP URLs."""
    ctl = Rabbitmqctl(broker_vhost(amqp_url))
    users = {
        service: (f"{namespace}-{service}", secrets.token_urlsafe(18)) for service in ("registry", "outreach", "notify")
    }
    try:
        ctl.put_service_users(users, namespace)
    except RabbitmqctlError as exc:
        pytest.fail(
            "these tests create broker users with rabbitmqctl on the broker's machine (as root, or with the node's "
            f"Erlang cookie), which is not possible here: {exc}"
        )
    try:
        yield {service: with_user(amqp_url, user, password) for service, (user, password) in users.items()}
    finally:
        for user, _ in users.values():
            ctl.delete_user(user)


async def test_the_broker_refuses_another_users_user_id_another_services_routing_key_and_the_default_exchange(
    service_users: dict[str, str], namespace: str
) -> None:
    # The exchange exists before anyone publishes (services declare it when they start).
    registry = await aio_pika.connect(service_users["registry"])
    outreach = await aio_pika.connect(service_users["outreach"])
    async with registry, outreach:
        channel = await registry.channel()
        await channel.declare_exchange(
            topology.namespaced(topology.EVENTS_EXCHANGE, namespace), aio_pika.ExchangeType.TOPIC, durable=True
        )
        event = wksbm_formed()
        name = topology.namespaced(topology.EVENTS_EXCHANGE, namespace)

        channel = await outreach.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(name)
        with pytest.raises(ChannelPreconditionFailed, match="user_id property set to"):
            await publish(exchange, event, "outreach.FGD_held", broker_user(service_users["registry"]))

        channel = await outreach.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(name)
        with pytest.raises(ChannelAccessRefused, match=r"registry\.WKSBM_formed"):
            await publish(exchange, event, "registry.WKSBM_formed", broker_user(service_users["outreach"]))

        # Nor straight into another service's queue, where no routing key is compared (only operators redrive).
        channel = await outreach.channel(publisher_confirms=True)
        with pytest.raises(ChannelAccessRefused, match=r"amq\.default"):
            await channel.default_exchange.publish(
                aio_pika.Message(event.to_json(), user_id=broker_user(service_users["outreach"])),
                routing_key=topology.service_queue("notify", namespace),
            )

        # registry itself may publish it, as itself.
        channel = await registry.channel(publisher_confirms=True)
        await publish(
            await channel.get_exchange(name), event, "registry.WKSBM_formed", broker_user(service_users["registry"])
        )


async def test_a_consumer_running_as_its_own_user_takes_registrys_events_only_from_registrys_user(
    service_users: dict[str, str], amqp: AbstractConnection, amqp_url: str, namespace: str, mongo: Mongo
) -> None:
    producers = {
        "registry": broker_user(service_users["registry"]),
        "outreach": broker_user(service_users["outreach"]),
        "notify": broker_user(service_users["notify"]),
        "reporting": "pilar-reporting",
        "console": "pilar-console",
    }
    # notify's grant is enough to declare, bind, consume and dead-letter on its own queue.
    consumer = Consumer(service_users["notify"], namespace, mongo, producers)
    await consumer.bus.start()
    try:
        # Another broker client with publish rights on the exchange (here the test's administrator), as itself.
        intruder = await amqp.channel(publisher_confirms=True)
        forged = wksbm_formed()
        exchange = await intruder.get_exchange(topology.namespaced(topology.EVENTS_EXCHANGE, namespace))
        await publish(exchange, forged, "registry.WKSBM_formed", broker_user(amqp_url))
        [letter] = await consumer.dead_letters(amqp, expect=1)
        reason = str(letter.headers[REASON_HEADER])
        assert f"broker user {broker_user(amqp_url)!r}, not registry's broker user" in reason

        registry = await aio_pika.connect(service_users["registry"])
        async with registry:
            channel = await registry.channel(publisher_confirms=True)
            exchange = await channel.get_exchange(topology.namespaced(topology.EVENTS_EXCHANGE, namespace))
            genuine = wksbm_formed()
            await publish_event(exchange, genuine, amqp_url=service_users["registry"])
            await consumer.handled(genuine)
        assert await consumer.effects() == {str(genuine.event_id)}
    finally:
        await consumer.bus.stop()


def test_a_redrive_believes_the_user_header_only_from_the_services_own_consumer() -> None:
    # Any service may write to the dead-letter exchange: a letter outreach put in notify's DLQ, claiming registry
    # published it, goes back as outreach's (and is refused again), never as registry's.
    claims = {USER_HEADER: "pilar-registry", REASON_HEADER: "handler failed"}
    assert redriven_user_id("pilar-outreach", claims, consumer_user="pilar-notify") == "pilar-outreach"
    assert redriven_user_id(None, claims, consumer_user="pilar-notify") is None
    # notify's own copy names the producer the broker validated; one the broker dead-lettered kept its user_id.
    assert redriven_user_id("pilar-notify", claims, consumer_user="pilar-notify") == "pilar-registry"
    assert redriven_user_id("pilar-registry", {}, consumer_user="pilar-notify") == "pilar-registry"


async def test_a_service_user_binds_its_queue_only_with_its_own_subscriptions(
    service_users: dict[str, str], namespace: str
) -> None:
    # outreach has no business with notify's events nor with everything (`#`): the broker refuses the binding.
    outreach = await aio_pika.connect(service_users["outreach"])
    async with outreach:
        channel = await outreach.channel()
        events = await channel.declare_exchange(
            topology.namespaced(topology.EVENTS_EXCHANGE, namespace), aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(
            topology.service_queue("outreach", namespace), durable=True, arguments={"x-queue-type": "quorum"}
        )
        await queue.bind(events, routing_key="registry.*")  # its own subscription
        for pattern in ("#", "notify.*"):
            channel = await outreach.channel()
            queue = await channel.get_queue(topology.service_queue("outreach", namespace))
            with pytest.raises(ChannelAccessRefused, match="topic"):
                await queue.bind(events.name, routing_key=pattern)
