"""No invitation or reminder for a session that has already started: history entered after the fact, or a reminder
timer fired late, is recorded as skipped with the reason, and nothing is sent — real broker, Mongo-wire, SMTP server
and SMS gateway."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import aio_pika
import httpx

from pilar_dev.testing import Tap, bearer, eventually
from services.notify.tests.conftest import Mailbox, Notify
from services.notify.tests.support import (
    NARASUMBER,
    NARASUMBER_EMAIL,
    OFFICER,
    OFFICER_EMAIL,
    OFFICER_PHONE,
    Receiver,
    cancelled,
    scheduled,
    worker,
)

OPERATOR = bearer("district_operator", "34.03", sub="op-gunungkidul")


async def _contacts(notify: Notify) -> None:
    await notify.publish(worker(OFFICER, email=OFFICER_EMAIL, phone=OFFICER_PHONE))
    await notify.publish(worker(NARASUMBER, email=NARASUMBER_EMAIL))

    async def known() -> bool:
        return await notify.mongo.db.contacts.count_documents({}) == 2

    await eventually(known)


async def _recorded(notify: Notify, count: int, **query: str) -> list[dict[str, object]]:
    async def enough() -> bool:
        return len(await notify.deliveries(**query)) >= count

    await eventually(enough, what=f"{count} deliveries {query}")
    return await notify.deliveries(**query)


async def test_a_session_entered_after_it_took_place_invites_nobody_and_the_log_says_why(
    notify: Notify,
    client: httpx.AsyncClient,
    smtp: Mailbox,
    receiver: tuple[Receiver, str],
    amqp: aio_pika.abc.AbstractConnection,
    namespace: str,
) -> None:
    """Seed 001's penyuluhan in Desa Kampung, recorded two days after it was held."""
    gateway, _ = receiver
    tap = await Tap.open(amqp, namespace, "notify.#")
    await _contacts(notify)
    held = (notify.clock() - timedelta(days=2)).replace(microsecond=0)
    invitation = scheduled("ses_lalu", held)
    await notify.publish(invitation)

    # Two e-mails and the officer's SMS, each in the log as skipped.
    skipped = await _recorded(notify, 3, event_id=str(invitation.event_id))
    assert sorted((d["channel"], d["status"], d["reason"]) for d in skipped) == [
        ("email", "skipped", "session_started"),
        ("email", "skipped", "session_started"),
        ("sms", "skipped", "session_started"),
    ]
    assert all(held.isoformat() in str(d["skipped_reason"]) for d in skipped)
    assert await notify.mongo.db.timers.count_documents({"key": {"$regex": "^ses_lalu:"}, "status": "pending"}) == 0

    # Cancelling it afterwards tells nobody either.
    cancellation = cancelled("ses_lalu", held, version=2)
    await notify.publish(cancellation)
    assert len(await _recorded(notify, 3, event_id=str(cancellation.event_id), status="skipped")) == 3

    listed = await client.get("/deliveries", params={"status": "skipped"}, headers=OPERATOR)
    assert listed.status_code == 200, listed.text
    assert listed.json()["total"] == 6
    shown = listed.json()["items"][0]
    assert (shown["status"], shown["reason"], shown["attempts"]) == ("skipped", "session_started", [])
    assert "started" in shown["skipped_reason"]

    await asyncio.sleep(0.5)  # the dispatcher polls every 50 ms: it would have sent by now
    assert smtp.mails() == [] and gateway.at("/sms/") == []
    assert {d["status"] for d in await notify.deliveries()} == {"skipped"}
    assert await tap.queue.get(fail=False) is None  # no notification_sent / _failed: nothing was attempted


async def test_a_reminder_timer_that_fires_after_the_session_started_is_skipped(notify: Notify, smtp: Mailbox) -> None:
    await _contacts(notify)
    starts = (notify.clock() + timedelta(days=7)).replace(microsecond=0)
    await notify.publish(scheduled("ses_depan", starts))

    async def invited() -> bool:
        return len([m for m in smtp.mails() if "Undangan" in m.subject]) == 2

    await eventually(invited, what="the invitations of a session still ahead")

    notify.clock.set(starts + timedelta(hours=1))  # notify was down past both reminders and the session's start
    assert await notify.fire_timers() == 2
    reminders = await _recorded(notify, 6, notice="outreach.session_reminder")
    assert {(d["status"], d["reason"]) for d in reminders} == {("skipped", "session_started")}
    await asyncio.sleep(0.5)
    assert not [m for m in smtp.mails() if "Pengingat" in m.subject]
