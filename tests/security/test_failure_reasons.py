"""A failed delivery's event names a category, never the address: `notification_failed` is stored by reporting,
served on its `GET /events` to viewers and integration tokens, and sent to `notify.*` webhooks, while an SMTP
server's refusal quotes the mailbox it refused. The detail stays in notify's delivery log.

A real SMTP server (aiosmtpd on loopback) refuses the recipient; the dispatcher runs against the Mongo-wire server.
Reporting, fed over the real broker, keeps only the category of a reason a notify from before still wrote as text,
and its start-up migration rewrites the events it stored before.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from pilar_dev.devstack import free_port
from pilar_dev.testing import bearer, outbox_events
from pilar_runtime.mongo import Mongo
from services.notify import store
from services.notify.channels.email import EmailSender
from services.notify.dispatcher import Dispatcher
from services.notify.domain.deliveries import Retries
from services.notify.domain.timing import QuietHours, TokenBucket, parse_clock
from services.notify.tests.support import NOON, FakeClock, plan_session_notices
from services.reporting.migrations import FAILURE_REASONS, MIGRATIONS, run_migrations
from services.reporting.tests.conftest import Publish, Reporting, fed, publish, reporting
from services.reporting.tests.scenario import envelope

__all__ = ["publish", "reporting"]  # reporting's own running fixtures

VIEWER = bearer("viewer", "34.03")
REFUSED = "budi.santoso@example.id"
NO_FACT = "lost.fact@example.id"


class RefusesEveryone:
    """aiosmtpd handler: refuses every recipient, naming the mailbox as real servers do."""

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list) -> str:
        return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"


@pytest.fixture
def refusing_smtp() -> Iterator[int]:
    port = free_port()
    controller = Controller(RefusesEveryone(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port
    controller.stop()


async def test_failed_events_carry_a_category_and_the_log_keeps_the_detail(mongo: Mongo, refusing_smtp: int) -> None:
    await store.ensure_indexes(mongo)
    clock = FakeClock(NOON)
    quiet = QuietHours(parse_clock("21:00", "start"), parse_clock("06:00", "end"))
    await mongo.db[store.RULES].insert_many(
        [
            {"_id": "rul_1", "event_pattern": "outreach.session_*", "region_code": "34.03", "channel": "email",
             "recipients": [REFUSED], "template": None},
            {"_id": "rul_2", "event_pattern": "outreach.session_*", "region_code": "34.03", "channel": "email",
             "recipients": [NO_FACT], "template": "{{ " + NO_FACT.split("@")[0].replace(".", "_") + " }}"},
        ]
    )  # fmt: skip
    assert await plan_session_notices(mongo, clock, quiet) == 2
    sender = EmailSender(host="127.0.0.1", port=refusing_smtp, sender="pilar@dinsos.example.id", timeout=5)
    dispatcher = Dispatcher(
        mongo, {"email": sender}, {"email": TokenBucket(10, 10)}, quiet=quiet, clock=clock,
        retries=Retries(()),
    )  # fmt: skip
    assert await dispatcher.dispatch_once() == 1

    events = await outbox_events(mongo)
    failed = {e["payload"]["delivery_id"]: e for e in events if e["event_type"] == "notification_failed"}
    assert len(failed) == 2, events
    for event in failed.values():
        assert REFUSED not in json.dumps(event) and NO_FACT not in json.dumps(event)
        assert "lost_fact" not in json.dumps(event)  # nor the rule's template text, nor the fact it lacks
    deliveries = {d["recipient"]: d async for d in mongo.db[store.DELIVERIES].find()}
    refused, broken = deliveries[REFUSED], deliveries[NO_FACT]
    assert failed[refused["_id"]]["payload"]["reason"] == "refused" == refused["failure"]
    assert failed[broken["_id"]]["payload"]["reason"] == "template" == broken["failure"]
    assert failed[broken["_id"]]["payload"]["template"] == "custom"
    # What happened, for the operator who fixes it, stays in the delivery record (masked for readers there).
    assert "SMTPRecipientsRefused" in refused["failed_reason"] and REFUSED in refused["failed_reason"]
    assert refused["attempts"][0]["reason"] == "refused" and "lost_fact" in broken["failed_reason"]


# Before, a failing custom rule's whole template text went into the event.
OLD_TEMPLATES = ["email/session_scheduled.j2", "Yth. {{ penerima }}, hubungi Bu Sri di 0812-2700-3333"]


def _failed(n: int) -> dict[str, object]:
    return {
        "delivery_id": f"dlv_old{n}", "channel": "email", "template": OLD_TEMPLATES[n], "source_event_id": f"evt-{n}",
        "source_event_type": "session_scheduled", "attempts": 3,
        "reason": f"SMTP 127.0.0.1:25: SMTPRecipientsRefused: [SMTPRecipientRefused(550, '<{REFUSED}>', '{REFUSED}')]",
    }  # fmt: skip


async def test_reporting_keeps_only_the_category_of_a_failure(reporting: Reporting, publish: Publish) -> None:
    at = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
    events = [
        envelope("notification_failed", _failed(n), region="34.03.13.2004", aggregate=f"dlv_old{n}", version=2, at=at)
        for n in range(2)
    ]
    await fed(reporting, publish, events)
    db = reporting.mongo.db
    # The first arrives from a notify that still writes the server's words: reporting keeps the category.
    stored = await db.events.find_one({"event_id": str(events[0].event_id)})
    assert stored is not None and stored["payload"]["reason"] == "refused"
    # The second was stored before this rule, whole: the start-up migration rewrites it, once.
    await db.events.update_one({"event_id": str(events[1].event_id)}, {"$set": {"payload": events[1].payload}})
    await db[MIGRATIONS].delete_one({"_id": FAILURE_REASONS})  # as on the first start after the upgrade
    await run_migrations(db)
    assert await db[MIGRATIONS].count_documents({"_id": FAILURE_REASONS, "done_at": {"$ne": None}}) == 1
    feed = await reporting.http.get("/events", params={"type": "notification_failed"}, headers=VIEWER)
    assert feed.status_code == 200 and feed.json()["total"] == 2, feed.text
    assert REFUSED not in feed.text and "SMTP" not in feed.text
    assert {e["payload"]["reason"] for e in feed.json()["items"]} == {"refused"}
    assert {e["payload"]["template"] for e in feed.json()["items"]} == {"email/session_scheduled.j2", "custom"}
    # In the payloads: the envelope's own times may hold the same digits (…:29.027000).
    payloads = json.dumps([e["payload"] for e in feed.json()["items"]])
    assert "{{" not in payloads and "2700" not in payloads
