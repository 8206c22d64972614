"""Invitations, reminders H-3 / H-1, reschedule and cancel — real broker, Mongo-wire, SMTP and SMS gateway."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import aio_pika
from structlog.testing import capture_logs

from pilar_dev.testing import Tap, eventually
from pilar_runtime.timers import schedule_timer
from services.notify.tests.conftest import Mailbox, Notify
from services.notify.tests.support import (
    NARASUMBER,
    NARASUMBER_EMAIL,
    OFFICER,
    OFFICER_EMAIL,
    OFFICER_PHONE,
    Receiver,
    cancelled,
    rescheduled,
    scheduled,
    worker,
)


async def _contacts(notify: Notify) -> None:
    await notify.publish(worker(OFFICER, email=OFFICER_EMAIL, phone=OFFICER_PHONE))
    await notify.publish(worker(NARASUMBER, email=NARASUMBER_EMAIL))

    async def known() -> bool:
        return await notify.mongo.db.contacts.count_documents({}) == 2

    await eventually(known)


def _subjects(smtp: Mailbox, word: str) -> list[str]:
    return sorted(m.to for m in smtp.mails() if word in m.subject)


async def _arrived(smtp: Mailbox, word: str, count: int) -> None:
    async def check() -> bool:
        return len(_subjects(smtp, word)) >= count

    await eventually(check)


async def test_invitation_then_both_reminders(
    notify: Notify, smtp: Mailbox, receiver: tuple[Receiver, str], amqp: aio_pika.abc.AbstractConnection, namespace: str
) -> None:
    gateway, _ = receiver
    with capture_logs() as logs:
        await _invitation_then_reminders(notify, smtp, gateway, amqp, namespace)
    text = str(logs)
    assert "delivery_sent" in text
    for personal in (OFFICER_EMAIL, NARASUMBER_EMAIL, OFFICER_PHONE, "Balai Desa Kampung", "Sri Lestari"):
        assert personal not in text  # contacts and message bodies never reach the log, masked or not


async def _invitation_then_reminders(
    notify: Notify, smtp: Mailbox, gateway: Receiver, amqp: aio_pika.abc.AbstractConnection, namespace: str
) -> None:
    tap = await Tap.open(amqp, namespace, "notify.#")
    await _contacts(notify)
    starts = (notify.clock() + timedelta(days=7)).replace(microsecond=0)
    await notify.publish(scheduled("ses_a", starts))

    await _arrived(smtp, "Undangan", 2)
    assert _subjects(smtp, "Undangan") == sorted([OFFICER_EMAIL, NARASUMBER_EMAIL])
    invitation = next(m for m in smtp.mails() if "Undangan" in m.subject)
    text = invitation.body()
    assert "Balai Desa Kampung" in text and "Kampung, Ngawen, Kabupaten Gunungkidul" in text
    assert "pukul 10.00 WIB" in text  # 03:00 UTC shown in WIB

    async def sms_arrived() -> bool:
        return len(gateway.at("/sms/")) == 1

    await eventually(sms_arrived)
    sms = gateway.at("/sms/")[0]
    assert sms.path == f"/sms/{OFFICER_PHONE}"
    assert sms.headers["authorization"] == "Bearer gateway-token"
    assert json.loads(sms.body)["message"].startswith("Undangan Penyuluhan Sosial")

    timers = [t async for t in notify.mongo.db.timers.find({"kind": "session_reminder"})]
    assert sorted((t["key"], t["due_at"]) for t in timers) == [
        ("ses_a:H-1", starts - timedelta(days=1)),
        ("ses_a:H-3", starts - timedelta(days=3)),
    ]
    assert await notify.fire_timers() == 0  # nothing is due yet

    notify.clock.set(starts - timedelta(days=3, minutes=-1))
    assert await notify.fire_timers() == 1
    await _arrived(smtp, "Pengingat H-3", 2)
    notify.clock.set(starts - timedelta(days=1, minutes=-1))
    assert await notify.fire_timers() == 1
    await _arrived(smtp, "Pengingat H-1", 2)
    assert _subjects(smtp, "Pengingat H-1") == sorted([OFFICER_EMAIL, NARASUMBER_EMAIL])
    await eventually(lambda: _async(len(gateway.at("/sms/")) == 3))

    # 3 notices × (2 e-mails + 1 SMS), each one notification_sent.
    seen = await tap.collect(lambda s: sum(e["event_type"] == "notification_sent" for e in s) >= 9)
    assert {e["payload"]["source_event_type"] for e in seen} == {"session_scheduled", "session_reminder"}
    assert not [e for e in seen if e["event_type"] == "notification_failed"]


async def _async(value: bool) -> bool:
    return value


async def test_reschedule_moves_reminders_and_cancel_stops_them(notify: Notify, smtp: Mailbox) -> None:
    await _contacts(notify)
    first = (notify.clock() + timedelta(days=7)).replace(microsecond=0)
    moved = first + timedelta(days=3)
    await notify.publish(scheduled("ses_b", first))
    await _arrived(smtp, "Undangan", 2)

    await notify.publish(rescheduled("ses_b", first, moved))
    await _arrived(smtp, "Perubahan jadwal", 2)
    notice = next(m for m in smtp.mails() if "Perubahan jadwal" in m.subject)
    assert "Semula:" in notice.body()
    due = {t["key"]: t["due_at"] async for t in notify.mongo.db.timers.find({"status": "pending"})}
    assert due == {"ses_b:H-3": moved - timedelta(days=3), "ses_b:H-1": moved - timedelta(days=1)}
    notify.clock.set(first - timedelta(days=3, minutes=-1))
    assert await notify.fire_timers() == 0  # the old H-3 moment passes quietly

    await notify.publish(cancelled("ses_b", moved))
    await _arrived(smtp, "Pembatalan", 2)
    assert "Banjir di lokasi" in next(m for m in smtp.mails() if "Pembatalan" in m.subject).body()
    assert await notify.mongo.db.timers.count_documents({"status": "pending"}) == 0

    # A reminder timer that escaped the cancel (a race) still finds the session cancelled when it fires.
    session = await notify.mongo.db.sessions.find_one({"_id": "ses_b"})
    assert session is not None and session["status"] == "cancelled"
    stale = {"session_id": "ses_b", "stage": "H-1", "starts_at": session["facts"]["starts_at"]}
    await notify.mongo.transact(lambda uow: schedule_timer(uow, "session_reminder", "ses_b:H-1", moved, stale))
    notify.clock.set(moved + timedelta(days=1))
    assert await notify.fire_timers() == 1
    await asyncio.sleep(0.3)
    assert not [m for m in smtp.mails() if "Pengingat" in m.subject]
    assert await notify.mongo.db.deliveries.count_documents({"notice": "outreach.session_reminder"}) == 0
