"""The consumer wrapper against the real broker and Mongo-wire server: duplicates, poison, retries, shutdown."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aio_pika
import pytest

from contracts import topology
from contracts.envelope import Envelope
from pilar_dev.testing import eventually, publish_event
from pilar_runtime.brokerusers import broker_user, producer_users
from pilar_runtime.bus import Bus, Topology
from pilar_runtime.consumer import REASON_HEADER, EventConsumer, EventHandlers
from pilar_runtime.mongo import Mongo, UnitOfWork
from tests.runtime.helpers import worker_event

Publish = Callable[..., Awaitable[None]]


@pytest.fixture
async def publish(amqp: aio_pika.abc.AbstractConnection, amqp_url: str, namespace: str) -> Publish:
    channel = await amqp.channel()
    exchange = await channel.declare_exchange(
        topology.namespaced(topology.EVENTS_EXCHANGE, namespace), aio_pika.ExchangeType.TOPIC, durable=True
    )

    async def send(body: bytes | Envelope, routing_key: str = "registry.worker_registered") -> None:
        """An event as its producer publishes it, or raw bytes under ``routing_key`` by the same broker user."""
        if isinstance(body, Envelope):
            await publish_event(exchange, body, amqp_url=amqp_url)
        else:
            await exchange.publish(aio_pika.Message(body, user_id=broker_user(amqp_url)), routing_key=routing_key)

    return send


class Service:
    """A consuming service built from the runtime parts, with handlers given by the test."""

    def __init__(
        self, amqp_url: str, namespace: str, mongo: Mongo, handlers: EventHandlers, limit: int, batch_size: int
    ) -> None:
        topo = Topology("reporting", namespace, delivery_limit=limit)
        self.consumer = EventConsumer(
            "reporting",
            handlers,
            mongo,
            producer_users=producer_users(amqp_url, {}, "reporting"),
            delivery_limit=limit,
            batch_size=batch_size,
        )
        self.bus = Bus(amqp_url, topo, self.consumer, prefetch=max(8, 2 * batch_size))

    async def dead_letters(self, amqp: aio_pika.abc.AbstractConnection, expect: int) -> list[Any]:
        channel = await amqp.channel()
        queue = await channel.get_queue(self.bus.topology.dlq.name)
        found: list[Any] = []
        for _ in range(150):
            message = await queue.get(fail=False)
            if message is not None:
                await message.ack()
                found.append(message)
            if len(found) >= expect:
                break
            await asyncio.sleep(0.1)
        return found


@pytest.fixture(params=[1, 16], ids=["alone", "batched"])
async def service_factory(
    request: pytest.FixtureRequest, amqp_url: str, namespace: str, mongo: Mongo
) -> AsyncIterator[Callable[..., Service]]:
    """Every test runs against both consumer modes: each delivery alone, and batches in one transaction."""
    started: list[Service] = []

    async def make(handlers: EventHandlers, limit: int = 3) -> Service:
        service = Service(amqp_url, namespace, mongo, handlers, limit, batch_size=request.param)
        await service.bus.start()
        started.append(service)
        return service

    yield make  # type: ignore[misc]
    for service in started:
        await service.bus.stop()


def counting_handlers(mongo: Mongo) -> EventHandlers:
    handlers = EventHandlers()

    @handlers.on("worker_registered")
    async def count(envelope: Envelope, payload: Any, uow: UnitOfWork) -> None:
        await uow.db.effects.update_one(
            {"_id": payload.worker_id}, {"$inc": {"n": 1}}, upsert=True, session=uow.session
        )

    return handlers


async def test_a_duplicate_delivery_has_one_effect(service_factory: Any, publish: Publish, mongo: Mongo) -> None:
    await service_factory(counting_handlers(mongo))
    event = worker_event("w-dup")
    await publish(event)
    await publish(event)
    await publish(worker_event("w-other"))

    async def both_seen() -> bool:
        return await mongo.db.effects.count_documents({}) == 2

    await eventually(both_seen)
    await asyncio.sleep(0.5)  # give a second effect the chance to show up
    assert await mongo.db.effects.count_documents({"_id": "w-dup", "n": 1}) == 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (json.dumps({"event_type": "worker_registered"}).encode(), "envelope schema violation"),
        (
            worker_event().model_copy(update={"payload": {"worker_id": "x"}}).to_json(),
            "worker_registered payload schema violation",
        ),
        (worker_event().model_copy(update={"event_type": "dragon_sighted"}).to_json(), "unknown event type"),
    ],
)
async def test_invalid_message_goes_to_the_dlq_with_its_reason_and_the_next_is_handled(
    service_factory: Any,
    publish: Publish,
    mongo: Mongo,
    amqp: aio_pika.abc.AbstractConnection,
    body: bytes,
    reason: str,
) -> None:
    service = await service_factory(counting_handlers(mongo))
    await publish(body, routing_key="registry.whatever")
    await publish(worker_event("w-after-poison"))

    dead = await service.dead_letters(amqp, expect=1)
    assert len(dead) == 1
    assert reason in dead[0].headers[REASON_HEADER]
    assert dead[0].body == body

    async def handled() -> bool:
        return await mongo.db.effects.count_documents({"_id": "w-after-poison"}) == 1

    await eventually(handled)


async def test_a_failing_handler_is_retried_then_dead_lettered(
    service_factory: Any, publish: Publish, mongo: Mongo, amqp: aio_pika.abc.AbstractConnection
) -> None:
    attempts: list[str] = []
    handlers = EventHandlers()

    @handlers.on("worker_registered")
    async def flaky(envelope: Envelope, payload: Any, uow: UnitOfWork) -> None:
        attempts.append(payload.worker_id)
        raise RuntimeError("projection store unavailable")

    service = await service_factory(handlers, limit=3)
    await publish(worker_event("w-fails"))
    dead = await service.dead_letters(amqp, expect=1)

    assert attempts == ["w-fails"] * 3
    assert len(dead) == 1
    assert "attempt 3 of 3" in dead[0].headers[REASON_HEADER]
    assert "projection store unavailable" in dead[0].headers[REASON_HEADER]


async def test_a_transient_failure_is_retried_until_it_succeeds(
    service_factory: Any, publish: Publish, mongo: Mongo
) -> None:
    attempts: list[int] = []
    handlers = EventHandlers()

    @handlers.on("worker_registered")
    async def recovers(envelope: Envelope, payload: Any, uow: UnitOfWork) -> None:
        attempts.append(1)
        if len(attempts) < 2:
            raise ConnectionError("blip")
        await uow.db.effects.insert_one({"_id": payload.worker_id}, session=uow.session)

    await service_factory(handlers, limit=5)
    await publish(worker_event("w-blip"))

    async def done() -> bool:
        return await mongo.db.effects.count_documents({}) == 1

    await eventually(done)
    assert len(attempts) == 2


async def test_unknown_types_reach_a_fallback_handler_when_the_service_has_one(
    service_factory: Any, publish: Publish, mongo: Mongo
) -> None:
    handlers = EventHandlers()

    @handlers.otherwise
    async def store(envelope: Envelope, payload: Any, uow: UnitOfWork) -> None:
        await uow.db.stored.insert_one({"type": envelope.event_type}, session=uow.session)

    await service_factory(handlers)
    await publish(worker_event().model_copy(update={"event_type": "dragon_sighted"}))

    async def stored() -> bool:
        return await mongo.db.stored.count_documents({"type": "dragon_sighted"}) == 1

    await eventually(stored)


async def test_shutdown_finishes_the_message_in_flight(
    service_factory: Any, publish: Publish, mongo: Mongo, amqp: aio_pika.abc.AbstractConnection
) -> None:
    started = asyncio.Event()
    handlers = EventHandlers()

    @handlers.on("worker_registered")
    async def slow(envelope: Envelope, payload: Any, uow: UnitOfWork) -> None:
        started.set()
        await asyncio.sleep(1.0)
        await uow.db.effects.insert_one({"_id": payload.worker_id}, session=uow.session)

    service = await service_factory(handlers)
    await publish(worker_event("w-slow"))
    await asyncio.wait_for(started.wait(), 10)
    await service.bus.stop()

    assert await mongo.db.effects.count_documents({"_id": "w-slow"}) == 1
    channel = await amqp.channel()
    queue = await channel.declare_queue(service.bus.topology.queue.name, passive=True)
    assert queue.declaration_result.message_count == 0  # acked, not left for redelivery


class FlushCounter:
    """A write buffer: counts the events of its transaction and writes that count once, at flush."""

    def __init__(self) -> None:
        self.events = 0

    async def flush(self, uow: UnitOfWork) -> None:
        await uow.db.flushes.insert_one({"events": self.events}, session=uow.session)


def batching_handlers(slow_first: str, failing: str = "") -> EventHandlers:
    """Counts each event's effect and adds it to the transaction's buffer; the first event handled is slow, so
    the deliveries behind it pile up into the next batch."""
    handlers = EventHandlers()
    first = asyncio.Event()

    @handlers.on("worker_registered")
    async def count(envelope: Envelope, payload: Any, uow: UnitOfWork) -> None:
        if payload.worker_id == slow_first and not first.is_set():
            first.set()
            await asyncio.sleep(0.5)
        if payload.worker_id == failing:
            raise RuntimeError("this one always fails")
        await uow.db.effects.update_one(
            {"_id": payload.worker_id}, {"$inc": {"n": 1}}, upsert=True, session=uow.session
        )
        uow.buffer("counter", FlushCounter).events += 1

    return handlers


async def batched_service(amqp_url: str, namespace: str, mongo: Mongo, handlers: EventHandlers) -> Service:
    service = Service(amqp_url, namespace, mongo, handlers, limit=3, batch_size=16)
    await service.bus.start()
    return service


async def test_deliveries_waiting_are_handled_in_one_transaction_and_buffers_flush_once_per_batch(
    amqp_url: str, namespace: str, publish: Publish, mongo: Mongo
) -> None:
    service = await batched_service(amqp_url, namespace, mongo, batching_handlers(slow_first="w-0"))
    try:
        for i in range(30):
            await publish(worker_event(f"w-{i}"))

        async def all_handled() -> bool:
            return await mongo.db.effects.count_documents({"n": 1}) == 30

        await eventually(all_handled, what="every event handled")
        flushes = [d["events"] async for d in mongo.db.flushes.find()]
        assert sum(flushes) == 30  # every event went through a buffer, each in exactly one committed transaction
        assert len(flushes) < 30 and max(flushes) > 1, flushes  # and the ones that waited shared a transaction
        assert await mongo.db.effects.count_documents({"n": {"$ne": 1}}) == 0
    finally:
        await service.bus.stop()


async def test_a_failing_event_in_a_batch_is_retried_alone_and_the_rest_of_the_batch_is_handled(
    amqp_url: str, namespace: str, publish: Publish, mongo: Mongo, amqp: aio_pika.abc.AbstractConnection
) -> None:
    handlers = batching_handlers(slow_first="w-0", failing="w-bad")
    service = await batched_service(amqp_url, namespace, mongo, handlers)
    try:
        for i in range(10):
            await publish(worker_event("w-bad" if i == 5 else f"w-{i}"))
        dead = await service.dead_letters(amqp, expect=1)
        assert len(dead) == 1 and "this one always fails" in dead[0].headers[REASON_HEADER]
        assert "attempt 3 of 3" in dead[0].headers[REASON_HEADER]

        async def others_handled() -> bool:
            return await mongo.db.effects.count_documents({"n": 1}) == 9

        await eventually(others_handled, what="the nine good events handled")
        assert await mongo.db.effects.count_documents({"_id": "w-bad"}) == 0
    finally:
        await service.bus.stop()


async def test_copies_of_an_event_in_one_batch_and_across_batches_have_one_effect(
    amqp_url: str, namespace: str, publish: Publish, mongo: Mongo
) -> None:
    service = await batched_service(amqp_url, namespace, mongo, batching_handlers(slow_first="w-slow"))
    try:
        earlier = worker_event("w-earlier")
        await publish(earlier)

        async def earlier_handled() -> bool:
            return await mongo.db.effects.count_documents({"_id": "w-earlier"}) == 1

        await eventually(earlier_handled)
        twice = worker_event("w-twice")
        for event in (worker_event("w-slow"), twice, earlier, twice, worker_event("w-last")):
            await publish(event)

        async def last_handled() -> bool:
            return await mongo.db.effects.count_documents({"_id": "w-last"}) == 1

        await eventually(last_handled)
        effects = {d["_id"]: d["n"] async for d in mongo.db.effects.find()}
        assert effects == {"w-earlier": 1, "w-slow": 1, "w-twice": 1, "w-last": 1}
        assert max([d["events"] async for d in mongo.db.flushes.find()]) > 1  # the copies did share a batch
    finally:
        await service.bus.stop()


async def test_a_batch_is_prepared_once_with_its_new_events_before_their_handlers(
    amqp_url: str, namespace: str, publish: Publish, mongo: Mongo
) -> None:
    prepared: list[list[str]] = []
    seen: set[str] = set()
    handlers = EventHandlers()
    slow = asyncio.Event()

    @handlers.before_batch
    async def read_ahead(envelopes: list[Envelope], uow: UnitOfWork) -> None:
        ids = [str(e.payload["worker_id"]) for e in envelopes]
        prepared.append(ids)
        seen.update(ids)

    @handlers.on("worker_registered")
    async def handle(envelope: Envelope, payload: Any, uow: UnitOfWork) -> None:
        if payload.worker_id == "w-0" and not slow.is_set():
            slow.set()
            await asyncio.sleep(0.5)  # the rest arrive meanwhile and wait as one batch
        await uow.db.effects.insert_one(
            {"_id": payload.worker_id, "prepared": payload.worker_id in seen}, session=uow.session
        )

    service = await batched_service(amqp_url, namespace, mongo, handlers)
    try:
        await publish(worker_event("w-0"))
        await eventually(lambda: asyncio.sleep(0, slow.is_set()), what="the first event being handled")
        copy = worker_event("w-3")
        for i in range(1, 10):
            await publish(copy if i == 3 else worker_event(f"w-{i}"))
        await publish(copy)

        async def all_handled() -> bool:
            return await mongo.db.effects.count_documents({}) == 10

        await eventually(all_handled, what="every event handled")
        assert await mongo.db.effects.count_documents({"prepared": False}) == 0
        handed = [worker for batch in prepared for worker in batch]
        assert sorted(handed) == sorted(f"w-{i}" for i in range(10)), prepared  # each new event once, no copy
        assert max(len(batch) for batch in prepared) > 1, prepared
    finally:
        await service.bus.stop()


@pytest.mark.parametrize("failing", ["", "w-bad"], ids=["batch_committed", "batch_failed"])
async def test_copies_in_a_batch_keep_the_newest_version_and_stale_ones_or_redeliveries_change_nothing(
    amqp_url: str, namespace: str, publish: Publish, mongo: Mongo, amqp: aio_pika.abc.AbstractConnection, failing: str
) -> None:
    """Several versions of one worker wait behind a slow event and are handled as one batch — or, when an event of
    that batch fails, each alone — either way the copy ends at the newest version."""
    handlers = EventHandlers()
    batches: list[int] = []
    answers: list[tuple[int, bool]] = []
    ahead: list[set[str]] = []
    slow, released = asyncio.Event(), asyncio.Event()

    @handlers.before_batch
    async def count(envelopes: list[Envelope], uow: UnitOfWork) -> None:
        batches.append(len(envelopes))

    @handlers.on("worker_registered")
    async def keep(envelope: Envelope, payload: Any, uow: UnitOfWork) -> None:
        if payload.worker_id == "w-0" and not slow.is_set():
            slow.set()
            await asyncio.wait_for(released.wait(), 10)  # the rest arrive meanwhile and wait as one batch
        changed = await uow.keep_copy("copies", payload.worker_id, {"name": payload.name}, envelope.aggregate_version)
        if payload.worker_id == "w-1":
            answers.append((envelope.aggregate_version, changed))
            ahead.append(set(uow.aggregate_ids))
        if payload.worker_id == failing:
            raise RuntimeError("this one always fails")

    service = await batched_service(amqp_url, namespace, mongo, handlers)
    try:
        await publish(worker_event("w-0"))
        await eventually(lambda: asyncio.sleep(0, slow.is_set()), what="the first event being handled")
        first, newest = worker_event("w-1", 1, "Ani"), worker_event("w-1", 3, "Ani Lestari")
        for event in (first, newest, worker_event("w-1", 2, "stale"), worker_event("w-bad"), newest):
            await publish(event)
        await publish(worker_event("w-2"))
        await asyncio.sleep(0.3)  # delivered to the consumer
        released.set()

        async def copied(worker_id: str) -> bool:
            return await mongo.db.copies.count_documents({"_id": worker_id}) == 1

        await eventually(lambda: copied("w-2"), what="the batch handled")
        assert max(batches) >= 4, batches  # the versions and w-bad did share a transaction
        assert any(a >= {"w-1", "w-bad"} for a in ahead), ahead  # whose copies were read together
        if failing:
            dead = await service.dead_letters(amqp, expect=1)
            assert len(dead) == 1 and "this one always fails" in dead[0].headers[REASON_HEADER]
        for event in (first, worker_event("w-1", 2, "late again"), worker_event("w-last")):  # after the commit
            await publish(event)
        await eventually(lambda: copied("w-last"), what="the late ones handled")

        copies = {d.pop("_id"): d async for d in mongo.db.copies.find()}
        assert copies.pop("w-1") == {"name": "Ani Lestari", "version": 3}
        assert set(copies) == ({"w-0", "w-2", "w-last"} if failing else {"w-0", "w-2", "w-last", "w-bad"})
        assert answers[-1] == (2, False)  # the late older version, told it changed nothing
        assert (1, True) in answers and (3, True) in answers and (2, True) not in answers
    finally:
        await service.bus.stop()
