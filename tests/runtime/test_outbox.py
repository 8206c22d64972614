"""The outbox: state and events commit together; the relay publishes each event once, even with two relays
and after a relay died between commit and publish."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import cast

import aio_pika
import pytest
from aio_pika.abc import AbstractExchange
from pymongo.errors import DuplicateKeyError

from contracts import topology
from contracts.envelope import Envelope
from pilar_dev.testing import Tap
from pilar_runtime.brokerusers import broker_user
from pilar_runtime.mongo import OUTBOX, OUTBOX_TTL, Mongo, UnitOfWork
from pilar_runtime.outbox import OutboxRelay, events_of, unsent_events
from tests.runtime.helpers import worker_event


async def emit(uow: UnitOfWork, *events: Envelope) -> None:
    for event in events:
        uow.emit(event)


async def _exchange(amqp: aio_pika.abc.AbstractConnection, namespace: str) -> aio_pika.abc.AbstractExchange:
    channel = await amqp.channel(publisher_confirms=True)
    return await channel.declare_exchange(
        topology.namespaced(topology.EVENTS_EXCHANGE, namespace), aio_pika.ExchangeType.TOPIC, durable=True
    )


async def test_state_and_event_commit_together_or_not_at_all(mongo: Mongo) -> None:
    await mongo.db.workers.create_index("nik", unique=True)

    async def register(uow: UnitOfWork, worker_id: str) -> None:
        await uow.db.workers.insert_one({"_id": worker_id, "nik": "same"}, session=uow.session)
        uow.emit(worker_event(worker_id))

    await mongo.transact(lambda uow: register(uow, "w-1"))
    with pytest.raises(DuplicateKeyError):
        await mongo.transact(lambda uow: register(uow, "w-2"))

    assert await mongo.db.workers.count_documents({}) == 1
    assert await mongo.db[OUTBOX].count_documents({}) == 1  # the failed command left no event behind


async def test_relay_killed_after_commit_publishes_exactly_once_after_restart(
    mongo: Mongo, amqp: aio_pika.abc.AbstractConnection, amqp_url: str, namespace: str
) -> None:
    tap = await Tap.open(amqp, namespace)
    exchange = await _exchange(amqp, namespace)
    event = worker_event("w-crash")
    await mongo.transact(lambda uow: emit(uow, event))

    # The first relay claims the batch and dies before publishing: its lease must run out, nothing is lost.
    dead = OutboxRelay(mongo, exchange, service="registry", user_id=broker_user(amqp_url), lease_seconds=0.5)
    claimed = await dead._claim()
    assert [e["event_id"] for d in claimed for e in events_of(d)] == [str(event.event_id)]

    restarted = OutboxRelay(mongo, exchange, service="registry", user_id=broker_user(amqp_url), lease_seconds=0.5)
    assert await restarted.relay_once() == 0  # the lease still holds
    await asyncio.sleep(0.6)
    assert await restarted.relay_once() == 1
    assert await restarted.relay_once() == 0

    seen = await tap.collect(lambda s: len(s) >= 1)
    await asyncio.sleep(0.3)
    assert await tap.queue.get(fail=False) is None
    assert [e["event_id"] for e in seen] == [str(event.event_id)]
    assert await mongo.db[OUTBOX].count_documents({"sent_at": None}) == 0


async def test_two_relays_publish_every_event_once(
    mongo: Mongo, amqp: aio_pika.abc.AbstractConnection, amqp_url: str, namespace: str
) -> None:
    tap = await Tap.open(amqp, namespace)
    events = [worker_event(f"w-{i}") for i in range(60)]
    for event in events:  # one commit each: the two relays share 60 documents

        async def commit(uow: UnitOfWork, event: Envelope = event) -> None:
            await emit(uow, event)

        await mongo.transact(commit)
    relays = [
        OutboxRelay(
            mongo,
            await _exchange(amqp, namespace),
            service="registry",
            user_id=broker_user(amqp_url),
            batch=7,
            poll_seconds=0.05,
        )
        for _ in range(2)
    ]
    tasks = [asyncio.create_task(r.run()) for r in relays]
    seen = await tap.collect(lambda s: len(s) >= 60)
    await asyncio.sleep(0.5)
    while (extra := await tap.queue.get(fail=False)) is not None:
        await extra.ack()
        seen.append({"event_id": "duplicate"})
    for relay in relays:
        await relay.stop()
    await asyncio.gather(*tasks)

    counts = Counter(e["event_id"] for e in seen)
    assert set(counts) == {str(e.event_id) for e in events}
    assert max(counts.values()) == 1


async def test_relay_retries_with_backoff_until_the_broker_takes_the_event(mongo: Mongo) -> None:
    class RefusingExchange:
        calls = 0

        async def publish(self, message: aio_pika.Message, routing_key: str, mandatory: bool = False) -> None:
            RefusingExchange.calls += 1
            if RefusingExchange.calls < 3:
                raise ConnectionError("broker away")

    await mongo.transact(lambda uow: emit(uow, worker_event("w-retry")))
    # The one stand-in here: a broker that refuses twice, to watch the relay back off without a restart.
    refusing = cast(AbstractExchange, RefusingExchange())
    relay = OutboxRelay(mongo, refusing, service="registry", user_id="guest", lease_seconds=0.01, poll_seconds=0.05)
    relay.max_backoff = 0.05
    task = asyncio.create_task(relay.run())
    for _ in range(100):
        if await mongo.db[OUTBOX].count_documents({"sent_at": None}) == 0:
            break
        await asyncio.sleep(0.05)
    await relay.stop()
    await task
    assert await mongo.db[OUTBOX].count_documents({"sent_at": None}) == 0
    assert RefusingExchange.calls == 3


async def test_published_documents_expire_after_the_retention_and_a_new_retention_updates_the_index(
    mongo: Mongo,
) -> None:
    await mongo.ensure_indexes(outbox_retention=timedelta(days=2))
    ttl = (await mongo.db[OUTBOX].index_information())[OUTBOX_TTL]
    assert ttl["key"] == [("sent_at", 1)] and ttl["expireAfterSeconds"] == 2 * 86400
    await mongo.ensure_indexes(outbox_retention=timedelta(hours=12))  # the setting changed: same index, new expiry
    assert (await mongo.db[OUTBOX].index_information())[OUTBOX_TTL]["expireAfterSeconds"] == 12 * 3600


async def test_every_commit_hook_runs_after_a_commit_and_none_after_a_failure(mongo: Mongo) -> None:
    calls: list[str] = []
    mongo.after_commit(OUTBOX, lambda: calls.append("relay"))
    mongo.after_commit(OUTBOX, lambda: calls.append("dispatcher"))
    await mongo.transact(lambda uow: emit(uow, worker_event("w-hooks")))
    assert calls == ["relay", "dispatcher"]

    async def fails(uow: UnitOfWork) -> None:
        raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        await mongo.transact(fails)
    assert calls == ["relay", "dispatcher"]


async def test_a_commit_wakes_only_the_pollers_it_left_work_for(mongo: Mongo) -> None:
    calls: list[str] = []
    mongo.after_commit(OUTBOX, lambda: calls.append("relay"))
    mongo.after_commit("deliveries", lambda: calls.append("dispatcher"))

    async def nothing_left(uow: UnitOfWork) -> None:
        await uow.db["copies"].insert_one({"_id": "c1"}, session=uow.session)

    async def a_delivery(uow: UnitOfWork) -> None:
        await uow.db["deliveries"].insert_one({"_id": "d1"}, session=uow.session)
        uow.leave_work("deliveries")

    await mongo.transact(nothing_left)
    assert calls == []
    await mongo.transact(a_delivery)
    assert calls == ["dispatcher"]


async def test_events_committed_beside_the_relay_are_handed_to_it_leased_and_published_once(
    mongo: Mongo, amqp: aio_pika.abc.AbstractConnection, amqp_url: str, namespace: str
) -> None:
    tap = await Tap.open(amqp, namespace)
    relay = OutboxRelay(mongo, await _exchange(amqp, namespace), service="registry", user_id=broker_user(amqp_url))
    mongo.hand_outbox_to(relay)
    batches = [[worker_event(f"w-{b}-{i}") for i in range(5)] for b in range(3)]
    for batch in batches:

        async def commit(uow: UnitOfWork, batch: list[Envelope] = batch) -> None:
            await emit(uow, *batch)

        await mongo.transact(commit)

    # Written already leased to the relay: no other relay claims them while it publishes them from memory.
    written = await mongo.db[OUTBOX].find().to_list()
    assert {(d["lease_owner"], d["attempts"]) for d in written} == {(relay.owner, 1)}
    assert await relay.relay_once() == 0  # nothing for its queries to claim
    assert await relay.relay_handed_over() == 15
    assert not await relay.poll_once()  # nothing handed over any more, nothing to claim

    seen = await tap.collect(lambda s: len(s) >= 15)
    await asyncio.sleep(0.3)
    assert await tap.queue.get(fail=False) is None
    assert [e["event_id"] for e in seen] == [str(e.event_id) for batch in batches for e in batch]
    assert await mongo.db[OUTBOX].count_documents({"sent_at": None}) == 0


async def test_events_handed_to_a_relay_that_died_are_published_once_by_another_after_the_lease(
    mongo: Mongo, amqp: aio_pika.abc.AbstractConnection, amqp_url: str, namespace: str
) -> None:
    tap = await Tap.open(amqp, namespace)
    exchange = await _exchange(amqp, namespace)
    dead = OutboxRelay(mongo, exchange, service="registry", user_id=broker_user(amqp_url), lease_seconds=0.5)
    mongo.hand_outbox_to(dead)
    events = [worker_event(f"w-{i}") for i in range(3)]
    await mongo.transact(lambda uow: emit(uow, *events))

    other = OutboxRelay(mongo, exchange, service="registry", user_id=broker_user(amqp_url), lease_seconds=0.5)
    assert await other.relay_once() == 0  # the dead relay's lease still holds
    await asyncio.sleep(0.6)
    assert await other.relay_once() == 3
    assert await dead.relay_handed_over() == 0  # had it come back: its lease ran out, the events are not its own

    seen = await tap.collect(lambda s: len(s) >= 3)
    await asyncio.sleep(0.3)
    assert await tap.queue.get(fail=False) is None
    assert sorted(e["event_id"] for e in seen) == sorted(str(e.event_id) for e in events)


async def test_a_handed_over_batch_the_broker_refuses_is_kept_and_published_once_it_takes_it(mongo: Mongo) -> None:
    class RefusingOnce:
        def __init__(self) -> None:
            self.published: list[str] = []
            self.refused = False

        async def publish(self, message: aio_pika.Message, routing_key: str, mandatory: bool = False) -> None:
            if not self.refused:
                self.refused = True
                raise ConnectionError("broker away")
            self.published.append(str(message.message_id))

    # The one stand-in here: a broker that refuses once, to see the batch stay first in line.
    broker = RefusingOnce()
    relay = OutboxRelay(mongo, cast(AbstractExchange, broker), service="registry", user_id="guest")
    mongo.hand_outbox_to(relay)
    events = [worker_event(f"w-{i}") for i in range(4)]
    await mongo.transact(lambda uow: emit(uow, *events))
    with pytest.raises(ConnectionError):
        await relay.relay_handed_over()
    assert await relay.relay_handed_over() == 4
    # All four again, in order: those the broker took before refusing one go twice (at least once).
    assert broker.published[-4:] == [str(e.event_id) for e in events]
    assert await mongo.db[OUTBOX].count_documents({"sent_at": None}) == 0


async def test_past_the_hand_over_limit_and_after_stop_commits_leave_their_events_to_the_queries(
    mongo: Mongo, amqp: aio_pika.abc.AbstractConnection, amqp_url: str, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pilar_runtime.outbox.MAX_HANDED_OVER", 2)
    tap = await Tap.open(amqp, namespace)
    relay = OutboxRelay(mongo, await _exchange(amqp, namespace), service="registry", user_id=broker_user(amqp_url))
    mongo.hand_outbox_to(relay)
    handed, left = [worker_event("w-1"), worker_event("w-2")], [worker_event("w-3")]
    await mongo.transact(lambda uow: emit(uow, *handed))
    await mongo.transact(lambda uow: emit(uow, *left))  # two wait in memory: this one is not leased
    await relay.stop()
    after_stop = [worker_event("w-4")]
    await mongo.transact(lambda uow: emit(uow, *after_stop))

    unleased = {e["event_id"] async for d in mongo.db[OUTBOX].find({"lease_owner": None}) for e in events_of(d)}
    assert unleased == {str(e.event_id) for e in left + after_stop}
    assert await relay.relay_handed_over() == 2
    assert await relay.relay_once() == 2
    seen = await tap.collect(lambda s: len(s) >= 4)
    await asyncio.sleep(0.3)
    assert await tap.queue.get(fail=False) is None
    assert sorted(e["event_id"] for e in seen) == sorted(str(e.event_id) for e in handed + left + after_stop)


async def test_a_commits_events_share_one_outbox_document_and_are_published_in_order(
    mongo: Mongo, amqp: aio_pika.abc.AbstractConnection, amqp_url: str, namespace: str
) -> None:
    tap = await Tap.open(amqp, namespace)
    events = [worker_event(f"w-{i}") for i in range(450)]
    await mongo.transact(lambda uow: emit(uow, *events))
    [document] = await mongo.db[OUTBOX].find().to_list()
    assert [e["event_id"] for e in document["events"]] == [str(e.event_id) for e in events]
    assert await unsent_events(mongo) == 450

    relay = OutboxRelay(mongo, await _exchange(amqp, namespace), service="registry", user_id=broker_user(amqp_url))
    assert await relay.relay_once() == 450  # one document claimed, its events published 200 at a time
    seen = await tap.collect(lambda s: len(s) >= 450)
    assert [e["event_id"] for e in seen] == [str(e.event_id) for e in events]
    assert await unsent_events(mongo) == 0


async def test_an_outbox_document_of_one_event_written_by_the_previous_release_is_published(
    mongo: Mongo, amqp: aio_pika.abc.AbstractConnection, amqp_url: str, namespace: str
) -> None:
    tap = await Tap.open(amqp, namespace)
    event = worker_event("w-old")
    legacy = {
        "event_id": str(event.event_id),
        "routing_key": event.routing_key,
        "event_type": event.event_type,
        "correlation_id": event.correlation_id,
        "body": event.to_json(),
        "sent_at": None,
        "lease_until": None,
        "attempts": 0,
        "trace": None,
    }
    await mongo.db[OUTBOX].insert_one(legacy)
    assert await unsent_events(mongo) == 1
    relay = OutboxRelay(mongo, await _exchange(amqp, namespace), service="registry", user_id=broker_user(amqp_url))
    assert await relay.relay_once() == 1
    [seen] = await tap.collect(lambda s: len(s) >= 1)
    assert seen["event_id"] == str(event.event_id)
