"""Collective leave days (cuti bersama): a warning by default, a refusal where the campaign says so, and never
chosen by the auto-scheduler. Pure unit and property tests on the seeds' Gunungkidul campaign."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from pilar_runtime.localtime import WITA, at_local, hari_tanggal
from services.outreach.domain.calendar import cuti_bersama_name, holiday_name
from services.outreach.domain.rules import CUTI_BERSAMA, Booking, CampaignTerms, violations, warnings
from services.outreach.domain.scheduler import ScheduleImpossible, ScheduleRequest, auto_schedule, usable_days

KAMPUNG, SALAM = "34.03.13.2004", "34.03.04.2005"  # Gunungkidul desa of seed 001
LEBARAN_2025 = date(2025, 4, 7)  # Senin: Cuti Bersama Hari Raya Idul Fitri 1446 H
# A WKSBM campaign of Gunungkidul over the week after Idul Fitri 1446 H (31 March – 1 April 2025 are holidays,
# 2–4 and 7 April cuti bersama).
AFTER_LEBARAN = CampaignTerms("cmp-lebaran", "34.03", date(2025, 3, 31), date(2025, 4, 12), max_sessions_per_day=2)
BLOCKING = replace(AFTER_LEBARAN, cuti_bersama_blocks=True)


def on(day: date, desa: str = KAMPUNG, start: time = time(9), hours: int = 3, campaign: str = "cmp-lebaran") -> Booking:
    starts_at = at_local(day, start)
    return Booking("s1", desa, starts_at, starts_at + timedelta(hours=hours), ("psm-01",), ("nar-1",), campaign)


def test_the_calendar_knows_the_skb_cuti_bersama_by_its_indonesian_name() -> None:
    assert cuti_bersama_name(LEBARAN_2025) == "Cuti Bersama Hari Raya Idul Fitri"
    assert cuti_bersama_name(date(2019, 12, 24)) == "Cuti Bersama Hari Raya Natal"
    assert cuti_bersama_name(date(2019, 8, 8)) is None  # seed 001's first day
    assert holiday_name(LEBARAN_2025) is None  # a leave day, not a public holiday


def test_a_placement_on_cuti_bersama_is_allowed_with_a_warning_naming_the_day() -> None:
    candidate = on(LEBARAN_2025)
    assert violations(candidate, AFTER_LEBARAN, []) == []
    found = warnings(candidate, AFTER_LEBARAN)
    assert [w.rule for w in found] == [CUTI_BERSAMA]
    assert found[0].message == "Senin, 7 April 2025 adalah hari cuti bersama (Cuti Bersama Hari Raya Idul Fitri)"


def test_a_stand_alone_session_on_cuti_bersama_is_warned_too() -> None:
    candidate = on(date(2019, 12, 24), desa="35.11", campaign="")
    assert violations(candidate, None, []) == []
    assert [w.rule for w in warnings(candidate, None)] == [CUTI_BERSAMA]


def test_a_campaign_that_blocks_cuti_bersama_refuses_the_placement_without_a_warning() -> None:
    candidate = on(LEBARAN_2025)
    assert [v.rule for v in violations(candidate, BLOCKING, [])] == [CUTI_BERSAMA]
    assert warnings(candidate, BLOCKING) == []


def test_a_session_running_into_a_cuti_bersama_day_is_caught() -> None:
    # Two days from Sunday 6 April: the second day is the leave day.
    candidate = on(date(2025, 4, 6), hours=30)
    assert [w.rule for w in warnings(candidate, AFTER_LEBARAN)] == [CUTI_BERSAMA]
    assert "Senin, 7 April 2025" in warnings(candidate, AFTER_LEBARAN)[0].message


def test_the_local_day_decides_in_wita() -> None:
    # 07:00 WITA on 7 April 2025 in Tabanan, Bali, is still 6 April in UTC.
    starts_at = at_local(LEBARAN_2025, time(7), WITA)
    candidate = Booking("s1", "51.02.01.2001", starts_at, starts_at + timedelta(hours=3))
    assert starts_at.date() == date(2025, 4, 6)
    assert [w.rule for w in warnings(candidate, None)] == [CUTI_BERSAMA]


@given(st.dates(min_value=date(2019, 1, 1), max_value=date(2026, 12, 31)), st.booleans())
def test_a_cuti_bersama_is_either_a_warning_or_a_refusal_never_both_never_neither(day: date, blocks: bool) -> None:
    campaign = CampaignTerms("cmp-p", "34.03", day, day, max_sessions_per_day=1, cuti_bersama_blocks=blocks)
    candidate = on(day, campaign="cmp-p")
    refused = [v for v in violations(candidate, campaign, []) if v.rule == CUTI_BERSAMA]
    warned = warnings(candidate, campaign)
    name = cuti_bersama_name(day)
    if name is None:
        assert refused == [] and warned == []
    else:
        assert len(refused if blocks else warned) == 1 and (warned if blocks else refused) == []
        assert hari_tanggal(day) in (refused + warned)[0].message


def test_the_auto_scheduler_leaves_out_cuti_bersama() -> None:
    days = usable_days(AFTER_LEBARAN)
    # 31 March, 1 April: Idul Fitri; 2, 3, 4 and 7 April: cuti bersama; 6 April: Sunday.
    assert days == [date(2025, 4, 5), *(date(2025, 4, d) for d in (8, 9, 10, 11, 12))]
    plan = auto_schedule(ScheduleRequest(AFTER_LEBARAN, (KAMPUNG, SALAM), ("psm-01", "psm-02"), ("nar-1", "nar-2")))
    assert [p.starts_at for p in plan] == [at_local(date(2025, 4, 5), time(9)), at_local(date(2025, 4, 5), time(13))]


@given(st.dates(min_value=date(2019, 1, 1), max_value=date(2026, 12, 1)), st.integers(0, 20), st.booleans())
def test_no_auto_scheduled_session_draws_a_warning_or_falls_on_cuti_bersama(
    start: date, length: int, blocks: bool
) -> None:
    campaign = CampaignTerms("cmp-p", "34.03", start, start + timedelta(days=length), 2, cuti_bersama_blocks=blocks)
    try:
        plan = auto_schedule(ScheduleRequest(campaign, (KAMPUNG, SALAM), ("psm-01", "psm-02"), ("nar-1", "nar-2")))
    except ScheduleImpossible:  # two desa fit any usable day: only a period without one is impossible
        assert usable_days(campaign) == []
        return
    for i, planned in enumerate(plan):
        booking = planned.booking(f"new-{i}", "cmp-p")
        assert warnings(booking, campaign) == []
        assert cuti_bersama_name(booking.day) is None
