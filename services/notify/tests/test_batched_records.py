"""The dispatcher recording finished sends in batches, against a real Mongo-wire server and HTTP receiver: each
attempt and event recorded once, a delivery that cannot be recorded failing alone and sent no second time while its
lease lasts, a lost lease left to its new holder, the next batch claimed ahead and given back on stop."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any

from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from contracts.envelope import Envelope
from pilar_dev.testing import eventually
from pilar_runtime.mongo import OUTBOX, Mongo, UnitOfWork
from services.notify import store
from services.notify.channels.webhook import WebhookSender, webhook_client
from services.notify.commands.deliveries import pass_on, record_attempts
from services.notify.dispatcher import Dispatcher
from services.notify.domain.addresses import parse_networks
from services.notify.domain.deliveries import Attempt, Retries
from services.notify.domain.timing import QuietHours, TokenBucket, parse_clock
from services.notify.notifier import Notifier
from services.notify.tests.support import NOON, FakeClock, Receiver, scheduled

QUIET = QuietHours(parse_clock("21:00", "start"), parse_clock("06:00", "end"))
SECRET = "kunci-rahasia-gunungkidul-2026"


async def webhook_deliveries(mongo: Mongo, clock: FakeClock, urls: dict[str, str], events: int) -> list[str]:
    """`events` session events passed on to a webhook at each of `urls` (id → URL); the deliveries' ids, due one
    millisecond apart in this order."""
    await store.ensure_indexes(mongo)
    await mongo.db[store.WEBHOOKS].insert_many(
        [{"_id": hook_id, "url": url, "event_patterns": ["outreach.*"], "region_code": "34.03", "secret": SECRET,
          "active": True} for hook_id, url in urls.items()]
    )  # fmt: skip
    notifier = Notifier(defaults=[], quiet=QUIET, public_base_url="", clock=clock)
    envelopes = [scheduled(f"ses_{i}", NOON + timedelta(days=7)) for i in range(events)]

    async def plan(uow: UnitOfWork) -> None:
        for envelope in envelopes:
            await pass_on(uow, notifier, Envelope.model_validate_json(envelope.to_json()))

    await mongo.transact(plan)
    ids = [d["_id"] async for d in mongo.db[store.DELIVERIES].find({}, {"_id": 1}).sort("_id", 1)]
    for i, delivery_id in enumerate(ids):
        due = clock() - timedelta(seconds=1) + timedelta(milliseconds=i)
        await mongo.db[store.DELIVERIES].update_one({"_id": delivery_id}, {"$set": {"next_attempt_at": due}})
    return ids


def dispatcher(mongo: Mongo, clock: FakeClock, **options: Any) -> Dispatcher:
    sender = WebhookSender(webhook_client(parse_networks("127.0.0.0/8"), 5.0))
    return Dispatcher(
        mongo, {"webhook": sender}, {"webhook": TokenBucket(1000, 1000)}, quiet=QUIET, clock=clock,
        retries=Retries((60,)), **options,
    )  # fmt: skip


def attempts_counted(outcome: str) -> float:
    labels = {"service": "notify", "channel": "webhook", "outcome": outcome}
    return REGISTRY.get_sample_value("pilar_delivery_attempts_total", labels) or 0.0


async def outbox_events(mongo: Mongo) -> list[dict[str, Any]]:
    return [json.loads(d["body"]) async for d in mongo.db[OUTBOX].find()]


async def _at_least(count: int, found: Awaitable[list[dict[str, Any]]]) -> bool:
    return len(await found) >= count


def posted(hooks: Receiver) -> Counter[str]:
    return Counter(c.headers["x-pilar-delivery-id"] for c in hooks.calls)


async def test_sends_are_recorded_in_batches_each_attempt_and_event_once(
    mongo: Mongo, receiver: tuple[Receiver, str]
) -> None:
    hooks, url = receiver
    clock = FakeClock(NOON)
    ids = await webhook_deliveries(mongo, clock, {"wh_ok": f"{url}/ok", "wh_fail": f"{url}/fail"}, events=12)
    sending = dispatcher(mongo, clock, batch=50, concurrency=8)
    batches: list[int] = []
    record = sending.recorder.record

    async def counted(attempts: list[Attempt]) -> None:
        batches.append(len(attempts))
        await record(attempts)

    sending.recorder.record = counted
    sent_before, failed_before = attempts_counted("sent"), attempts_counted("failed")

    assert await sending.dispatch_once() == 24
    assert sum(batches) == 24 and len(batches) < 24
    assert posted(hooks) == Counter(ids)  # each delivery sent once
    deliveries = {d["_id"]: d async for d in mongo.db[store.DELIVERIES].find()}
    ok = {i for i, d in deliveries.items() if d["recipient_id"] == "wh_ok"}
    for delivery in deliveries.values():
        assert len(delivery["attempts"]) == 1 and delivery["version"] == 2
        assert delivery["lease_until"] == store.NO_LEASE
        if delivery["_id"] in ok:
            assert delivery["status"] == "sent"
        else:  # the next attempt on the schedule, from the moment the send failed
            assert delivery["status"] == "pending" and delivery["attempts"][0]["reason"] == "server_5xx"
            wait = delivery["next_attempt_at"] - delivery["attempts"][0]["at"]
            assert abs(wait.total_seconds() - 60) < 0.01
    events = await outbox_events(mongo)
    assert sorted(e["payload"]["delivery_id"] for e in events) == sorted(ok)
    assert {e["event_type"] for e in events} == {"notification_sent"}
    assert all(e["aggregate_version"] == 2 and e["payload"]["attempts"] == 1 for e in events)
    assert (attempts_counted("sent") - sent_before, attempts_counted("failed") - failed_before) == (12, 12)


async def test_a_delivery_that_cannot_be_recorded_fails_alone_and_is_not_sent_twice(
    mongo: Mongo, receiver: tuple[Receiver, str]
) -> None:
    hooks, url = receiver
    clock = FakeClock(NOON)
    ids = await webhook_deliveries(mongo, clock, {"wh_ok": f"{url}/ok"}, events=9)
    broken = ids[4]  # mid-batch: the server refuses to log an attempt to a log that is no list
    await mongo.db[store.DELIVERIES].update_one({"_id": broken}, {"$set": {"attempts": "kosong"}})
    sending = dispatcher(mongo, clock, batch=50, concurrency=1, record_linger=60)  # one batch, in claim order

    with capture_logs() as logs:
        assert await sending.dispatch_once() == 9
    assert posted(hooks) == Counter(ids)
    failures = [e["delivery_ids"] for e in logs if e["event"] == "notify.record_failed"]
    assert failures == [ids, [broken]]  # the batch's transaction, then the broken delivery alone
    deliveries = {d["_id"]: d async for d in mongo.db[store.DELIVERIES].find()}
    for delivery_id in ids:
        if delivery_id != broken:  # the first four were written in the failed transaction too: rolled back
            assert deliveries[delivery_id]["status"] == "sent" and len(deliveries[delivery_id]["attempts"]) == 1
    assert deliveries[broken]["status"] == "pending" and deliveries[broken]["lease_owner"] == sending.owner
    events = await outbox_events(mongo)
    assert sorted(e["payload"]["delivery_id"] for e in events) == sorted(set(ids) - {broken})

    assert await sending.dispatch_once() == 0  # leased: not sent again until the lease expires
    assert posted(hooks) == Counter(ids)


async def test_an_attempt_whose_lease_was_taken_over_is_left_to_the_new_holder(
    mongo: Mongo, receiver: tuple[Receiver, str]
) -> None:
    _, url = receiver
    clock = FakeClock(NOON)
    ids = await webhook_deliveries(mongo, clock, {"wh_ok": f"{url}/ok"}, events=3)
    sending = dispatcher(mongo, clock)
    claimed = await sending.claim_batch(
        mongo.db[store.DELIVERIES], store.due_filter(clock()), sort=[("next_attempt_at", 1)], limit=10
    )
    assert sorted(d["_id"] for d in claimed) == ids
    await mongo.db[store.DELIVERIES].update_one({"_id": ids[1]}, {"$set": {"lease_owner": "notify-other"}})

    attempts = [Attempt(d, clock(), None, Retries(())) for d in claimed]
    await mongo.transact(lambda uow: record_attempts(uow, attempts, owner=sending.owner))
    deliveries = {d["_id"]: d async for d in mongo.db[store.DELIVERIES].find()}
    assert [deliveries[i]["status"] for i in ids] == ["sent", "pending", "sent"]
    assert deliveries[ids[1]]["attempts"] == []
    assert sorted(e["payload"]["delivery_id"] for e in await outbox_events(mongo)) == [ids[0], ids[2]]
    await sending.senders["webhook"].close()


async def test_after_a_full_batch_the_next_is_claimed_ahead_and_given_back_on_stop(
    mongo: Mongo, receiver: tuple[Receiver, str]
) -> None:
    hooks, url = receiver
    clock = FakeClock(NOON)
    ids = await webhook_deliveries(mongo, clock, {"wh_ok": f"{url}/ok"}, events=7)
    sending = dispatcher(mongo, clock, batch=3)

    assert await sending.dispatch_once() == 3

    async def leased_ahead() -> list[dict[str, Any]]:
        query = {"_id": {"$in": ids[3:]}, "lease_owner": sending.owner}
        return [d async for d in mongo.db[store.DELIVERIES].find(query)]

    await eventually(lambda: _at_least(3, leased_ahead()), what="the next batch to be claimed ahead")
    ahead = await leased_ahead()
    assert sorted(d["_id"] for d in ahead) == ids[3:6]  # the next batch, claimed while the first three were sent
    assert all(d["status"] == "pending" and d["lease_until"] > clock() for d in ahead)
    assert await sending.dispatch_once() == 3  # the batch claimed ahead, and the last one claimed ahead
    assert sorted(posted(hooks)) == ids[:6]
    first = [d async for d in mongo.db[store.DELIVERIES].find({"_id": {"$in": ids[:3]}})]
    assert [d["status"] for d in first] == ["sent"] * 3  # recorded while the next batch was sent, at the latest

    await sending.stop()
    await sending.run()  # stops at once: gives back the batch claimed ahead, records the attempts still waiting
    [last] = [d async for d in mongo.db[store.DELIVERIES].find({"status": "pending"})]
    assert last["_id"] == ids[6] and last["lease_until"] < clock()
    assert sorted(posted(hooks)) == ids[:6]
    events = await outbox_events(mongo)
    assert sorted(e["payload"]["delivery_id"] for e in events) == ids[:6]
