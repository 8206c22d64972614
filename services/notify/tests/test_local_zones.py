"""Notices speak the local time of the session's region: a Bali session's invitation says "pukul 09.00 WITA", a
Papua one "WIT"; quiet hours keep the recipient's night, follow-up due notices the region's morning."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from contracts.events.outreach import SessionScheduled
from pilar_dev.testing import eventually
from pilar_runtime.localtime import WIB, WIT, WITA, hari_tanggal
from services.notify.domain.context import SAMPLE_FACTS, notice_context, waktu
from services.notify.domain.timing import QuietHours, followup_due_notice_at, recipient_zone
from services.notify.tests.conftest import Mailbox, Notify
from services.notify.tests.support import NARASUMBER, OFFICER, OFFICER_EMAIL, event, worker

BAJERA = "51.02.01.2001"  # Selemadeg, Tabanan, Bali
WONOREJO = "94.01.01.1001"  # Nabire, Papua Tengah


def test_a_time_is_written_in_the_zone_it_is_given() -> None:
    assert waktu("2026-12-08T01:00:00Z", WITA) == "Selasa, 8 Desember 2026 pukul 09.00 WITA"
    assert waktu("2026-12-08T00:00:00Z", WIT) == "Selasa, 8 Desember 2026 pukul 09.00 WIT"
    assert waktu("2026-12-08T02:00:00Z") == "Selasa, 8 Desember 2026 pukul 09.00 WIB"
    # 16:30 UTC is still the 8th in WIB, already the 9th in WIT.
    assert waktu("2026-12-08T16:30:00Z", WIT) == "Rabu, 9 Desember 2026 pukul 01.30 WIT"


def test_a_sessions_notice_uses_its_regions_zone() -> None:
    base = SAMPLE_FACTS["outreach.session_scheduled"]
    for desa, start, words in (
        (BAJERA, "2026-12-08T01:00:00+00:00", ("pukul 09.00 WITA", "12.00 WITA")),
        (WONOREJO, "2026-12-08T00:00:00+00:00", ("pukul 09.00 WIT", "12.00 WIT")),
        ("34.03.13.2004", "2026-12-08T02:00:00+00:00", ("pukul 09.00 WIB", "12.00 WIB")),
    ):
        ends = (datetime.fromisoformat(start) + timedelta(hours=3)).isoformat()
        facts = {**base, "region_code": desa, "starts_at": start, "ends_at": ends}
        sesi = notice_context("outreach.session_scheduled", facts, public_base_url="", penerima="X")["sesi"]
        assert sesi["mulai"].endswith(words[0]) and sesi["selesai"] == words[1], desa


def test_quiet_hours_keep_the_recipients_night() -> None:
    quiet = QuietHours(time(21, 0), time(6, 0))
    moment = datetime(2026, 12, 8, 13, 30, tzinfo=UTC)  # 20:30 WIB, 21:30 WITA, 22:30 WIT
    assert not quiet.is_quiet(moment, WIB)
    assert quiet.is_quiet(moment, WITA) and quiet.is_quiet(moment, WIT)
    assert quiet.release(moment, WITA) == datetime(2026, 12, 9, 6, 0, tzinfo=WITA)
    assert quiet.release(moment, WIT) == datetime(2026, 12, 8, 21, 0, tzinfo=UTC)
    # The recipient's region decides; an address without one keeps the notice's.
    assert recipient_zone("51.02", "34.03.13.2004") is WITA
    assert recipient_zone("", "94.01.01.1001") is WIT
    assert recipient_zone(None, "34.03") is WIB


def test_a_followup_due_notice_goes_out_at_eight_local_time() -> None:
    assert followup_due_notice_at(date(2026, 12, 20), WITA) == datetime(2026, 12, 19, 0, 0, tzinfo=UTC)
    assert followup_due_notice_at(date(2026, 12, 20), WIT) == datetime(2026, 12, 18, 23, 0, tzinfo=UTC)


async def test_a_bali_sessions_invitation_says_wita(notify: Notify, smtp: Mailbox) -> None:
    await notify.publish(worker(OFFICER, email=OFFICER_EMAIL))

    async def known() -> bool:
        return await notify.mongo.db.contacts.count_documents({}) == 1

    await eventually(known)
    # A week after notify's clock: a session that has not started yet is announced (a past one would be skipped).
    day = notify.clock().date() + timedelta(days=7)
    nine_wita = datetime.combine(day, time(9), tzinfo=WITA).astimezone(UTC)
    payload = SessionScheduled(
        session_id="ses_bali",
        kind="FGD",
        topic="Penanganan PPKS",
        region_code=BAJERA,
        venue="Balai Desa Bajera",
        starts_at=nine_wita,
        ends_at=nine_wita + timedelta(hours=3),
        officer_ids=[OFFICER],
        narasumber_ids=[NARASUMBER],
        expected_participants=25,
    )
    await notify.publish(event("session_scheduled", payload, aggregate_id="ses_bali", region=BAJERA))

    async def mailed() -> bool:
        return len(smtp.mails(OFFICER_EMAIL)) == 1

    await eventually(mailed)
    [mail] = smtp.mails(OFFICER_EMAIL)
    assert f"{hari_tanggal(day)} pukul 09.00 WITA" in mail.subject
    text = mail.body()
    assert f"{hari_tanggal(day)} pukul 09.00 WITA s.d. 12.00 WITA" in text
    assert "WIB" not in text
