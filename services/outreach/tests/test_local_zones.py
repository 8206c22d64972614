"""Every local time follows the session's region: a Bali (WITA) or Papua (WIT) session at "09:00" is at 09:00
local time; its days, the campaign's period, holidays, the auto-scheduler's slots and the follow-ups' due
midnights are that zone's."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from pilar_runtime.localtime import WIB, WIT, WITA, at_local, end_of_day
from services.outreach.domain.rules import Booking, CampaignTerms, campaign_period, public_holiday
from services.outreach.domain.scheduler import ScheduleRequest, auto_schedule
from services.outreach.store import SESSIONS
from services.outreach.tests.conftest import Outreach, auth

BAJERA, WANAGIRI, PUPUAN_SAWAH = "51.02.01.2001", "51.02.01.2002", "51.02.01.2003"  # Selemadeg, Tabanan, Bali
WONOREJO = "94.01.01.1001"  # Nabire, Papua Tengah
KAMPUNG = "34.03.13.2004"  # Ngawen, Gunungkidul


def booking(region_code: str, starts_at: datetime, ends_at: datetime) -> Booking:
    return Booking("ses-1", region_code, starts_at, ends_at, ("psm-01",), (), "cmp-1")


def test_a_session_belongs_to_the_local_day_of_its_region() -> None:
    # 16:30 UTC on 7 August is 23:30 WIB on the 7th, 00:30 WITA and 01:30 WIT on the 8th.
    late = datetime(2019, 8, 7, 16, 30, tzinfo=UTC)
    later = datetime(2019, 8, 7, 18, 0, tzinfo=UTC)
    assert booking(KAMPUNG, late, later).day == date(2019, 8, 7)
    assert booking(BAJERA, late, later).day == date(2019, 8, 8)
    assert booking(WONOREJO, late, later).day == date(2019, 8, 8)
    assert booking(BAJERA, late, later).zone is WITA and booking(WONOREJO, late, later).zone is WIT


def test_the_campaign_period_is_counted_in_the_campaigns_zone() -> None:
    late, later = datetime(2019, 8, 7, 16, 30, tzinfo=UTC), datetime(2019, 8, 7, 18, 0, tzinfo=UTC)
    bali = CampaignTerms("cmp-1", "51.02", date(2019, 8, 8), date(2019, 8, 15), 2)
    java = CampaignTerms("cmp-1", "34.03", date(2019, 8, 8), date(2019, 8, 15), 2)
    assert campaign_period(booking(BAJERA, late, later), bali) is None  # the 8th in Bali
    violation = campaign_period(booking(KAMPUNG, late, later), java)  # still the 7th in Gunungkidul
    assert violation is not None and violation.rule == "inside_campaign_period"


def test_a_holiday_is_the_local_one() -> None:
    # 16:10–16:50 UTC on 16 August: 23:10 WIB on the 16th, but 00:10 WITA on the 17th, Independence Day.
    starts_at, ends_at = datetime(2019, 8, 16, 16, 10, tzinfo=UTC), datetime(2019, 8, 16, 16, 50, tzinfo=UTC)
    assert public_holiday(booking(KAMPUNG, starts_at, ends_at)) is None
    for desa in (BAJERA, WONOREJO):
        violation = public_holiday(booking(desa, starts_at, ends_at))
        assert violation is not None and "2019-08-17" in violation.message


def test_the_auto_scheduler_places_its_slots_at_local_nine_and_one() -> None:
    tabanan = CampaignTerms("cmp-bali", "51.02", date(2026, 12, 8), date(2026, 12, 9), max_sessions_per_day=2)
    request = ScheduleRequest(
        campaign=tabanan,
        desa_codes=(BAJERA, WANAGIRI, PUPUAN_SAWAH),
        officer_ids=("psm-bali-1", "psm-bali-2"),
        narasumber_ids=("nar-bali",),
    )
    plan = auto_schedule(request)
    assert [(p.starts_at, p.ends_at) for p in plan] == [
        (at_local(date(2026, 12, 8), time(9), WITA), at_local(date(2026, 12, 8), time(12), WITA)),
        (at_local(date(2026, 12, 8), time(13), WITA), at_local(date(2026, 12, 8), time(16), WITA)),
        (at_local(date(2026, 12, 9), time(9), WITA), at_local(date(2026, 12, 9), time(12), WITA)),
    ]
    assert plan[0].starts_at == datetime(2026, 12, 8, 1, 0, tzinfo=UTC)


def fgd(region_code: str, **changes: object) -> dict[str, object]:
    return {
        "kind": "FGD",
        "topic": "Penanganan PPKS",
        "region_code": region_code,
        "venue": "Balai Desa",
        "starts_at": "2026-12-08T09:00:00",
        "ends_at": "2026-12-08T12:00:00",
        "officer_ids": ["psm-1"],
        **changes,
    }


async def test_a_time_without_an_offset_is_the_session_regions_wall_clock(outreach: Outreach) -> None:
    await outreach.workers("psm-bali", region="51.02")
    await outreach.workers("psm-nabire", region="94.01")
    await outreach.workers("psm-gk", region="34.03")
    cases = [
        (BAJERA, "51.02", "psm-bali", "2026-12-08T01:00:00"),  # 09:00 WITA
        (WONOREJO, "94.01", "psm-nabire", "2026-12-08T00:00:00"),  # 09:00 WIT
        (KAMPUNG, "34.03", "psm-gk", "2026-12-08T02:00:00"),  # 09:00 WIB
    ]
    for desa, district, officer, utc in cases:
        answer = await outreach.client.post("/sessions", json=fgd(desa, officer_ids=[officer]), headers=auth(district))
        assert answer.status_code == 201, answer.text
        assert answer.json()["starts_at"].startswith(utc), desa

    # An offset given is kept whatever the region.
    explicit = fgd(BAJERA, officer_ids=["psm-bali"], starts_at="2026-12-09T09:00:00+07:00")
    explicit["ends_at"] = "2026-12-09T12:00:00+08:00"
    answer = await outreach.client.post("/sessions", json=explicit, headers=auth("51.02"))
    assert answer.status_code == 201, answer.text
    assert answer.json()["starts_at"].startswith("2026-12-09T02:00:00")
    assert answer.json()["ends_at"].startswith("2026-12-09T04:00:00")

    # A move to "10:00" is 10:00 WITA; the end not given stays the same instant.
    session_id = answer.json()["id"]
    moved = await outreach.client.patch(
        f"/sessions/{session_id}", json={"starts_at": "2026-12-09T10:00:00"}, headers=auth("51.02")
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["starts_at"].startswith("2026-12-09T02:00:00")
    stored = await outreach.mongo.db[SESSIONS].find_one({"_id": session_id})
    assert stored is not None and stored["ends_at"] == datetime(2026, 12, 9, 4, 0, tzinfo=UTC)


async def test_a_bali_campaign_is_scheduled_and_ends_in_wita(outreach: Outreach) -> None:
    await outreach.workers("psm-bali-1", "psm-bali-2", "nar-bali", region="51.02")
    campaign = {
        "name": "Penyuluhan Sosial Tabanan",
        "topic": "penumbuhan WKSBM",
        "region_code": "51.02",
        "start_date": "2026-12-08",
        "end_date": "2026-12-09",
        "desa_codes": [BAJERA, WANAGIRI, PUPUAN_SAWAH],
        "max_sessions_per_day": 2,
        "officer_ids": ["psm-bali-1", "psm-bali-2"],
        "narasumber_ids": ["nar-bali"],
    }
    planned = await outreach.client.post("/campaigns", json=campaign, headers=auth("51.02"))
    assert planned.status_code == 201, planned.text
    campaign_id = planned.json()["id"]
    scheduled = await outreach.client.post(f"/campaigns/{campaign_id}/schedule", headers=auth("51.02"))
    assert scheduled.status_code in (200, 201), scheduled.text
    starts = sorted(s["starts_at"][:19] for s in scheduled.json()["items"])
    assert starts == ["2026-12-08T01:00:00", "2026-12-08T05:00:00", "2026-12-09T01:00:00"]
    timer = await outreach.mongo.db["timers"].find_one({"key": campaign_id})
    assert timer is not None and timer["due_at"] == end_of_day(date(2026, 12, 9), WITA)
    assert timer["due_at"] != end_of_day(date(2026, 12, 9), WIB)
