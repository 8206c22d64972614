"""Webhooks signed, retried then given up; a duplicate event sends once; SMS held through quiet hours;
reports; contacts by version — real broker, Mongo-wire, SMTP server and HTTP receiver."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, time, timedelta
from typing import Any

import aio_pika
import httpx
from structlog.testing import capture_logs

from contracts.events.reporting import ReportGenerated
from pilar_dev.scrape import samples, value
from pilar_dev.testing import Tap, bearer, eventually
from pilar_runtime.consumer import parse
from pilar_runtime.mongo import Mongo, UnitOfWork
from services.notify import store
from services.notify.domain.rules import default_rules
from services.notify.domain.signature import verify
from services.notify.domain.timing import QuietHours, parse_clock
from services.notify.handlers import handlers_for
from services.notify.notifier import Notifier
from services.notify.tests.conftest import Mailbox, Notify
from services.notify.tests.support import (
    NARASUMBER,
    NARASUMBER_EMAIL,
    NOON,
    OFFICER,
    OFFICER_EMAIL,
    OFFICER_PHONE,
    FakeClock,
    Receiver,
    event,
    followup,
    scheduled,
    worker,
)

OPERATOR = bearer("district_operator", "34.03")
SECRET = "kunci-rahasia-gunungkidul-2026"
QUIET = QuietHours(parse_clock("21:00", "start"), parse_clock("06:00", "end"))


async def test_webhooks_are_signed_and_a_failing_one_is_retried_then_given_up(
    notify: Notify,
    client: httpx.AsyncClient,
    receiver: tuple[Receiver, str],
    amqp: aio_pika.abc.AbstractConnection,
    namespace: str,
) -> None:
    hooks, url = receiver
    with capture_logs() as logs:
        await _webhooks_retried_then_given_up(notify, client, hooks, url, amqp, namespace)
    assert logs and SECRET not in str(logs)  # never logged, even before the masking processor


async def _webhooks_retried_then_given_up(
    notify: Notify,
    client: httpx.AsyncClient,
    hooks: Receiver,
    url: str,
    amqp: aio_pika.abc.AbstractConnection,
    namespace: str,
) -> None:
    before = samples((await client.get("/metrics")).text)
    for path, region in (("/ok", "34.03"), ("/fail", "34.03"), ("/elsewhere", "35.11")):
        body = {
            "url": f"{url}{path}",
            "event_patterns": ["outreach.session_*"],
            "region_code": region,
            "secret": SECRET,
        }
        answer = await client.post("/webhooks", json=body, headers=bearer("admin"))
        assert answer.status_code == 201, answer.text
    tap = await Tap.open(amqp, namespace, "notify.#")
    envelope = scheduled("ses_w", (notify.clock() + timedelta(days=7)).replace(microsecond=0))
    await notify.publish(envelope)

    seen = await tap.collect(lambda s: {e["event_type"] for e in s} >= {"notification_sent", "notification_failed"})
    failed = next(e for e in seen if e["event_type"] == "notification_failed")
    assert failed["payload"]["attempts"] == 3
    assert failed["payload"]["reason"] == "server_5xx"  # the category; "HTTP 500" stays in the delivery log
    assert failed["payload"]["source_event_id"] == str(envelope.event_id)

    assert len(hooks.at("/fail")) == 3 and len(hooks.at("/ok")) == 1 and not hooks.at("/elsewhere")
    for call in hooks.at("/ok") + hooks.at("/fail"):
        assert verify(call.body, SECRET, call.headers)
        assert call.headers["webhook-id"] == call.headers["x-pilar-delivery-id"]  # the same on every retry
        assert call.headers["x-pilar-event-type"] == "session_scheduled"
        assert call.headers["x-pilar-event-id"] == str(envelope.event_id)
    assert json.loads(hooks.at("/ok")[0].body) == json.loads(envelope.to_json())

    log = (await client.get("/deliveries", params={"status": "failed"}, headers=OPERATOR)).json()
    assert log["total"] == 1
    attempts = log["items"][0]["attempts"]
    assert [a["outcome"] for a in attempts] == ["failed"] * 3 and "HTTP 500" in attempts[0]["error"]
    assert log["items"][0]["channel"] == "webhook" and "_message" not in log["items"][0]
    outsider = (await client.get("/deliveries", headers=bearer("viewer", "35.11"))).json()
    assert outsider["total"] == 0

    # What an operator alerts on: attempts per channel and outcome, as scraped.
    after = samples((await client.get("/metrics")).text)
    for outcome, attempts in (("sent", 1), ("failed", 3)):
        labels = {"service": "notify", "channel": "webhook", "outcome": outcome}
        name = "pilar_delivery_attempts_total"
        assert value(after, name, **labels) - value(before, name, **labels) == attempts, outcome


async def test_a_duplicate_event_sends_once(notify: Notify, client: httpx.AsyncClient, smtp: Mailbox) -> None:
    await notify.publish(worker(OFFICER, email=OFFICER_EMAIL))
    await notify.publish(worker(NARASUMBER, email=NARASUMBER_EMAIL))
    # A second rule naming the officer's address again: same (event, recipient, channel), one delivery.
    rule = {"event_pattern": "outreach.session_scheduled", "region_code": "34.03", "channel": "email",
            "recipients": [OFFICER_EMAIL]}  # fmt: skip
    assert (await client.post("/rules", json=rule, headers=OPERATOR)).status_code == 201

    async def known() -> bool:
        return await notify.mongo.db.contacts.count_documents({}) == 2

    await eventually(known)
    envelope = scheduled("ses_d", (notify.clock() + timedelta(days=7)).replace(microsecond=0))
    await notify.publish(envelope)
    await notify.publish(envelope)

    async def sent() -> bool:
        return await notify.mongo.db.deliveries.count_documents({"status": "sent"}) >= 2

    await eventually(sent)
    await asyncio.sleep(1.0)  # room for a second send to show up
    assert sorted(m.to for m in smtp.mails()) == sorted([OFFICER_EMAIL, NARASUMBER_EMAIL])
    assert await notify.mongo.db.deliveries.count_documents({"event_id": str(envelope.event_id)}) == 2
    mine = await client.get("/deliveries", params={"recipient": OFFICER_EMAIL, "channel": "email"}, headers=OPERATOR)
    assert mine.json()["total"] == 1 and mine.json()["items"][0]["status"] == "sent"
    by_event = await client.get("/deliveries", params={"event_id": str(envelope.event_id)}, headers=OPERATOR)
    assert by_event.json()["total"] == 2
    bad = await client.get("/deliveries", params={"status": "lost"}, headers=OPERATOR)
    assert bad.status_code == 422


async def test_sms_is_held_through_quiet_hours_then_sent(
    notify: Notify, smtp: Mailbox, receiver: tuple[Receiver, str]
) -> None:
    gateway, _ = receiver
    night = notify.clock().replace(hour=15, minute=30)  # 22:30 WIB
    notify.clock.set(night)
    await notify.publish(worker(OFFICER, email=OFFICER_EMAIL, phone=OFFICER_PHONE))

    async def known() -> bool:
        return await notify.mongo.db.contacts.count_documents({}) == 1

    await eventually(known)
    due_on = night.date() + timedelta(days=14)
    await notify.publish(followup("fu_1", due_on))

    async def mailed() -> bool:
        return len(smtp.mails()) == 1

    await eventually(mailed)  # e-mail has no quiet hours
    [held] = await notify.deliveries(channel="sms")
    morning = datetime(night.year, night.month, night.day, 23, 0, tzinfo=UTC)  # 06:00 WIB next day
    assert held["status"] == "pending" and held["next_attempt_at"] == morning
    await asyncio.sleep(0.5)
    assert not gateway.at("/sms/")

    notify.clock.set(morning + timedelta(seconds=1))

    async def texted() -> bool:
        return len(gateway.at("/sms/")) == 1

    await eventually(texted)
    assert "Menyusun SK kepengurusan WKSBM" in json.loads(gateway.at("/sms/")[0].body)["message"]

    async def recorded() -> bool:  # the attempt is recorded just after the gateway answered
        [done] = await notify.deliveries(channel="sms")
        return bool(done["status"] == "sent" and len(done["attempts"]) == 1)

    await eventually(recorded)
    [due] = [t async for t in notify.mongo.db.timers.find({"kind": "followup_due", "status": "pending"})]
    assert due["due_at"] == datetime.combine(due_on - timedelta(days=1), time(1, 0), tzinfo=UTC)  # 08:00 WIB

    notify.clock.set(due["due_at"] + timedelta(seconds=1))  # the day before the due date, in the morning
    assert await notify.fire_timers() == 1

    async def reminded() -> bool:
        return any("jatuh tempo besok" in m.subject for m in smtp.mails()) and len(gateway.at("/sms/")) == 2

    await eventually(reminded)


async def test_report_ready_notice_carries_the_download_link(
    notify: Notify, client: httpx.AsyncClient, smtp: Mailbox
) -> None:
    rule = {"event_pattern": "reporting.report_generated", "region_code": "34.03", "channel": "email",
            "recipients": ["kabid.psks@dinsos.example.id"]}  # fmt: skip
    assert (await client.post("/rules", json=rule, headers=OPERATOR)).status_code == 201
    report = ReportGenerated(
        report_id="rpt_1", kind="campaign", region_code="34.03", formats=["xlsx", "pdf"],
        title="Laporan Penumbuhan WKSBM", download_path="/reports/rpt_1/download",
    )  # fmt: skip
    await notify.publish(event("report_generated", report, aggregate_id="rpt_1", region="34.03"))

    async def mailed() -> bool:
        return len(smtp.mails()) == 1

    await eventually(mailed)
    [mail] = smtp.mails()
    assert mail.to == "kabid.psks@dinsos.example.id" and "Laporan siap diunduh" in mail.subject
    assert "https://pilar.example/reports/rpt_1/download" in mail.body()


async def test_contacts_follow_the_newest_worker_version(notify: Notify, smtp: Mailbox) -> None:
    await notify.publish(worker(OFFICER, email="baru@dinsos.example.id", version=2))
    await notify.publish(worker(OFFICER, email="lama@dinsos.example.id", version=1))  # late, older

    async def both_handled() -> bool:
        return await notify.mongo.db.inbox.count_documents({}) == 2

    await eventually(both_handled)
    contact = await notify.mongo.db.contacts.find_one({"_id": OFFICER})
    assert contact is not None and contact["email"] == "baru@dinsos.example.id" and contact["version"] == 2


async def test_a_batch_invites_at_the_contact_kept_earlier_in_it_and_looks_webhooks_up_once(mongo: Mongo) -> None:
    """One transaction as the consumer runs a batch: two versions of the officer's contact, then a session naming
    them — the invitation goes to the newer address though the contact is not written until commit."""
    await store.ensure_indexes(mongo)
    await mongo.db[store.WEBHOOKS].insert_one(
        {"_id": "wh_gk", "url": "http://127.0.0.1:9/hook", "event_patterns": ["outreach.*"], "region_code": "34.03",
         "secret": SECRET, "active": True}
    )  # fmt: skip
    invitations = default_rules(sms_enabled=False)
    handlers = handlers_for(Notifier(defaults=invitations, quiet=QUIET, public_base_url="", clock=FakeClock(NOON)))
    batch = [
        worker(OFFICER, email="lama@dinsos.example.id", version=1),
        worker(OFFICER, email="baru@dinsos.example.id", version=2),
        scheduled("ses_batch", NOON + timedelta(days=7)),
    ]
    before = await mongo.client.admin.command("top")

    async def handle(uow: UnitOfWork) -> None:
        uow.aggregate_ids.update(e.aggregate_id for e in batch)
        for sent in batch:
            envelope, payload = parse(sent.to_json())
            await handlers.routes[envelope.event_type].handler(envelope, payload, uow)

    await mongo.transact(handle)
    after = await mongo.client.admin.command("top")

    emails = [d["recipient"] async for d in mongo.db[store.DELIVERIES].find({"channel": "email"})]
    assert emails == ["baru@dinsos.example.id"]
    assert await mongo.db[store.DELIVERIES].count_documents({"channel": "webhook"}) == 1
    contact = await mongo.db[store.CONTACTS].find_one({"_id": OFFICER})
    assert contact is not None and (contact["email"], contact["version"]) == ("baru@dinsos.example.id", 2)
    assert _queries(after, mongo, store.WEBHOOKS) - _queries(before, mongo, store.WEBHOOKS) == 1


def _queries(top: dict[str, Any], mongo: Mongo, collection: str) -> int:
    return int(top["totals"].get(f"{mongo.db.name}.{collection}", {}).get("queries", {}).get("count", 0))
