"""The sender loop against a real Mongo-wire server: a down SMTP server is retried on the schedule, then given up."""

from __future__ import annotations

import json
from datetime import timedelta

from pilar_dev.devstack import free_port
from pilar_runtime.mongo import OUTBOX, Mongo
from services.notify import store
from services.notify.channels.email import EmailSender
from services.notify.dispatcher import Dispatcher
from services.notify.domain.deliveries import Retries
from services.notify.domain.timing import QuietHours, TokenBucket, parse_clock
from services.notify.tests.support import NOON, FakeClock, plan_session_notices


async def test_a_down_smtp_server_is_retried_on_the_schedule_then_given_up(mongo: Mongo) -> None:
    await store.ensure_indexes(mongo)
    clock = FakeClock(NOON)
    quiet = QuietHours(parse_clock("21:00", "start"), parse_clock("06:00", "end"))
    await mongo.db[store.RULES].insert_one(
        {"_id": "rul_1", "event_pattern": "outreach.session_*", "region_code": "34.03", "channel": "email",
         "recipients": ["kabid@dinsos.example.id"], "template": None}
    )  # fmt: skip
    assert await plan_session_notices(mongo, clock, quiet) == 1
    assert await plan_session_notices(mongo, clock, quiet) == 0  # the idempotency key holds
    nobody_listens = EmailSender(host="127.0.0.1", port=free_port(), sender="pilar@x.id", timeout=2)
    dispatcher = Dispatcher(
        mongo, {"email": nobody_listens}, {"email": TokenBucket(10, 10)}, quiet=quiet, clock=clock,
        retries=Retries((60, 120)),
    )  # fmt: skip

    assert await dispatcher.dispatch_once() == 1
    [delivery] = [d async for d in mongo.db[store.DELIVERIES].find()]
    assert delivery["status"] == "pending" and len(delivery["attempts"]) == 1
    assert "SMTP" in delivery["attempts"][0]["error"]
    first_wait = delivery["next_attempt_at"] - delivery["attempts"][0]["at"]
    assert abs(first_wait.total_seconds() - 60) < 1
    assert await dispatcher.dispatch_once() == 0  # not due before the schedule's first wait

    clock.set(delivery["next_attempt_at"] + timedelta(seconds=1))
    assert await dispatcher.dispatch_once() == 1
    second = await mongo.db[store.DELIVERIES].find_one({})
    assert second is not None
    assert abs((second["next_attempt_at"] - second["attempts"][1]["at"]).total_seconds() - 120) < 1

    clock.set(second["next_attempt_at"] + timedelta(seconds=1))
    assert await dispatcher.dispatch_once() == 1
    final = await mongo.db[store.DELIVERIES].find_one({})
    assert final is not None and final["status"] == "failed" and len(final["attempts"]) == 3
    assert "SMTP" in final["failed_reason"]
    [event] = [json.loads(e["body"]) async for d in mongo.db[OUTBOX].find() for e in d["events"]]
    assert event["event_type"] == "notification_failed"
    assert event["payload"]["attempts"] == 3 and event["payload"]["source_event_id"] == "evt-1"
    assert event["payload"]["reason"] == "unreachable" == final["failure"]
    assert event["aggregate_id"] == final["_id"] and event["aggregate_version"] == final["version"]
