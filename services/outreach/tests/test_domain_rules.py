"""The scheduling rules, the calendar and the attendance arithmetic: pure unit tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pilar_runtime.localtime import at_local, end_of_day, local_date, to_utc
from services.outreach.domain.attendance import attendance_problem
from services.outreach.domain.calendar import holiday_name
from services.outreach.domain.completion import SessionOutcome, all_sessions_done, campaign_totals
from services.outreach.domain.rules import (
    DESA_IN_CAMPAIGN_REGION,
    INSIDE_CAMPAIGN_PERIOD,
    MAX_SESSIONS_PER_DAY,
    NO_DOUBLE_BOOKING,
    NO_PUBLIC_HOLIDAY,
    PEOPLE_IN_REGION,
    Booking,
    CampaignTerms,
    people_region,
    serves,
    time_problem,
    violations,
)

# Seed 001: Gunungkidul, 8–15 August 2019, two locations a day.
CAMPAIGN = CampaignTerms("cmp-1", "34.03", date(2019, 8, 8), date(2019, 8, 15), max_sessions_per_day=2)
KAMPUNG, REJOSARI, SALAM = "34.03.13.2004", "34.03.12.2007", "34.03.04.2005"


def session(
    sid: str,
    day: date = date(2019, 8, 8),
    start: time = time(9),
    end: time = time(12),
    officers: tuple[str, ...] = ("off-1",),
    narasumber: tuple[str, ...] = ("nar-1",),
    desa: str = KAMPUNG,
    campaign: str | None = "cmp-1",
) -> Booking:
    return Booking(sid, desa, at_local(day, start), at_local(day, end), officers, narasumber, campaign)


def rules_broken(candidate: Booking, others: list[Booking], campaign: CampaignTerms | None = CAMPAIGN) -> list[str]:
    return [v.rule for v in violations(candidate, campaign, others)]


def test_a_session_that_breaks_nothing_passes() -> None:
    assert rules_broken(session("s1"), [session("s0", officers=("off-9",), narasumber=("nar-9",))]) == []


def test_an_officer_in_two_overlapping_sessions_is_named_with_the_other_session() -> None:
    other = session("s0", start=time(11), end=time(14), narasumber=("nar-2",), desa=SALAM)
    found = violations(session("s1"), CAMPAIGN, [other])
    assert [v.rule for v in found] == [NO_DOUBLE_BOOKING]
    assert found[0].conflicting_session_id == "s0"
    assert "off-1" in found[0].message
    assert found[0].as_detail()["conflicting_session_id"] == "s0"


def test_a_narasumber_who_is_an_officer_elsewhere_is_double_booked_too() -> None:
    other = session("s0", officers=("nar-1",), narasumber=(), desa=SALAM)
    assert rules_broken(session("s1", officers=("off-2",)), [other]) == [NO_DOUBLE_BOOKING]


def test_back_to_back_sessions_do_not_overlap() -> None:
    morning = session("s0", start=time(9), end=time(12))
    assert rules_broken(session("s1", start=time(12), end=time(15)), [morning]) == []


def test_the_daily_cap_counts_the_campaigns_sessions_on_the_jakarta_day() -> None:
    day = [session(f"s{i}", officers=(f"o{i}",), narasumber=(f"n{i}",)) for i in range(2)]
    found = violations(session("s9", start=time(13), end=time(15)), CAMPAIGN, day)
    assert [v.rule for v in found] == [MAX_SESSIONS_PER_DAY]
    assert found[0].conflicting_session_id == "s1"
    # Another campaign's sessions, or the session itself when it is moved, do not count.
    others = [*day[:1], session("x", campaign="cmp-2", officers=("o8",), narasumber=("n8",))]
    assert rules_broken(session("s9", officers=("o9",), narasumber=("n9",)), others) == []
    assert rules_broken(day[0], day) == []


def test_the_day_is_the_jakarta_day_not_the_utc_day() -> None:
    # 06:00 WIB on 9 August is 23:00 UTC on 8 August: it belongs to the 9th.
    early = Booking("e", KAMPUNG, datetime(2019, 8, 8, 23, 0, tzinfo=UTC), datetime(2019, 8, 9, 1, 0, tzinfo=UTC))
    assert early.day == date(2019, 8, 9)
    full_8th = [session(f"s{i}", officers=(f"o{i}",), narasumber=(f"n{i}",)) for i in range(2)]
    assert rules_broken(early, full_8th) == []


def test_no_session_on_a_public_holiday() -> None:
    # 17 August is Independence Day; 11 August 2019 was Idul Adha.
    campaign = CampaignTerms("cmp-1", "34.03", date(2019, 8, 1), date(2019, 8, 31), 2)
    found = violations(session("s1", day=date(2019, 8, 17)), campaign, [])
    assert [v.rule for v in found] == [NO_PUBLIC_HOLIDAY]
    assert "2019-08-17" in found[0].message
    assert rules_broken(session("s1", day=date(2019, 8, 11)), [], campaign) == [NO_PUBLIC_HOLIDAY]
    assert rules_broken(session("s1", day=date(2019, 8, 17)), [], None) == [NO_PUBLIC_HOLIDAY]


def test_the_session_lies_inside_the_campaign_period() -> None:
    assert rules_broken(session("s1", day=date(2019, 8, 7)), []) == [INSIDE_CAMPAIGN_PERIOD]
    assert rules_broken(session("s1", day=date(2019, 8, 16)), []) == [INSIDE_CAMPAIGN_PERIOD]
    assert rules_broken(session("s1", day=date(2019, 8, 15)), []) == []


def test_the_desa_lies_inside_the_campaign_region() -> None:
    bondowoso_desa = "35.11.01.2001"
    assert rules_broken(session("s1", desa=bondowoso_desa), []) == [DESA_IN_CAMPAIGN_REGION]
    kecamatan = CampaignTerms("cmp-1", "34.03.13", date(2019, 8, 8), date(2019, 8, 15), 2)
    assert rules_broken(session("s1", desa=REJOSARI), [], kecamatan) == [DESA_IN_CAMPAIGN_REGION]


def test_a_stand_alone_session_only_knows_people_and_the_calendar() -> None:
    fgd = session("s1", day=date(2020, 11, 30), desa="35.11", campaign=None)
    assert rules_broken(fgd, [], None) == []


@pytest.mark.parametrize(
    ("worker", "region", "allowed"),
    [
        ("34.03", KAMPUNG, True),  # the district's own penyuluh in one of its desa
        ("34", KAMPUNG, True),  # a province narasumber may serve a desa
        ("34.03.13", KAMPUNG, True),  # the TKSK of the kecamatan
        (KAMPUNG, KAMPUNG, True),
        (KAMPUNG, "34.03.13", True),  # a desa PSM at a kecamatan FGD
        (KAMPUNG, "34.03", True),
        ("34.03.13.2005", KAMPUNG, False),  # the next desa: a sibling branch
        (SALAM, "34.03.13", False),
        ("35.11", KAMPUNG, False),  # Bondowoso's people are not Gunungkidul's to book
        ("35.11", "34.03", False),
        ("35", "34", False),
        ("34.03", "34.71", False),
    ],
)
def test_people_serve_their_region_the_branch_above_it_and_below_it(worker: str, region: str, allowed: bool) -> None:
    assert serves(worker, region) is allowed


def test_people_outside_the_region_are_named_by_id_only() -> None:
    people = {"wrk-gk": "34.03", "wrk-bdw": "35.11.01", "wrk-prov": "34"}
    found = people_region(people, KAMPUNG, "narasumber_ids", "session")
    assert found is not None and found.rule == PEOPLE_IN_REGION
    assert found.message == "narasumber_ids: wrk-bdw work(s) outside the session's region"
    assert found.conflicting_session_id is None
    assert people_region({"wrk-gk": "34.03", "wrk-prov": "34"}, KAMPUNG, "officer_ids", "session") is None
    assert people_region({}, KAMPUNG, "officer_ids", "session") is None


def test_a_conflict_outside_the_callers_sight_does_not_name_the_other_session() -> None:
    other = session("s-bdw", start=time(11), end=time(14), narasumber=("nar-2",), desa="35.11.01.2001")
    hidden = violations(session("s1"), CAMPAIGN, [other], can_see=lambda region: region.startswith("34.03"))
    assert [v.rule for v in hidden] == [NO_DOUBLE_BOOKING]
    assert hidden[0].conflicting_session_id is None
    assert hidden[0].message == "off-1 already booked elsewhere at that time"
    seen = violations(session("s1"), CAMPAIGN, [other], can_see=lambda region: True)
    assert seen[0].conflicting_session_id == "s-bdw"


@st.composite
def region_codes(draw: st.DrawFn) -> str:
    """A province, kabupaten, kecamatan or desa code from two choices per level: random pairs often share a branch."""
    parts = [draw(st.sampled_from(["34", "35"]))]
    for choices in (["03", "11"], ["01", "13"], ["2001", "2004"]):
        if not draw(st.booleans()):
            break
        parts.append(draw(st.sampled_from(choices)))
    return ".".join(parts)


@given(region_codes(), region_codes())
def test_serving_is_symmetric_and_never_crosses_branches(worker: str, region: str) -> None:
    assert serves(worker, region) == serves(region, worker)
    shared = zip(worker.split("."), region.split("."), strict=False)
    on_one_branch = all(a == b for a, b in shared)  # every level both codes have is the same region
    assert serves(worker, region) == on_one_branch
    for level in range(1, region.count(".") + 2):
        assert serves(".".join(region.split(".")[:level]), region)  # every ancestor may serve below


@given(st.dictionaries(st.sampled_from(["w1", "w2", "w3", "w4"]), region_codes()), region_codes())
def test_the_people_rule_names_exactly_those_outside(people: dict[str, str], region: str) -> None:
    found = people_region(people, region, "officer_ids", "session")
    outside = sorted(w for w, served in people.items() if not serves(served, region))
    if not outside:
        assert found is None
        return
    assert found is not None and found.rule == PEOPLE_IN_REGION
    assert found.message == f"officer_ids: {', '.join(outside)} work(s) outside the session's region"
    assert not any(served in found.message for served in people.values())  # no worker's region is told


@pytest.mark.parametrize(
    ("starts", "ends", "problem"),
    [
        (time(12), time(9), "must be after"),
        (time(9), time(9), "must be after"),
    ],
)
def test_a_session_that_ends_before_it_starts_is_invalid(starts: time, ends: time, problem: str) -> None:
    day = date(2019, 8, 8)
    assert problem in (time_problem(at_local(day, starts), at_local(day, ends)) or "")
    assert time_problem(at_local(day, time(9)), at_local(day, time(12))) is None


def test_times_without_an_offset_mean_jakarta() -> None:
    assert to_utc(datetime(2019, 8, 8, 9, 0)) == datetime(2019, 8, 8, 2, 0, tzinfo=UTC)
    assert to_utc(datetime(2019, 8, 8, 9, 0, tzinfo=UTC)) == datetime(2019, 8, 8, 9, 0, tzinfo=UTC)
    assert local_date(datetime(2019, 8, 8, 18, 0, tzinfo=UTC)) == date(2019, 8, 9)
    assert end_of_day(date(2019, 8, 15)) == datetime(2019, 8, 15, 17, 0, tzinfo=UTC)
    assert holiday_name(date(2019, 8, 17)) == "Hari Kemerdekaan Republik Indonesia"  # in Indonesian, for people
    assert holiday_name(date(2019, 8, 8)) is None


def test_attendance_must_add_up() -> None:
    assert attendance_problem(40, {"tokoh_masyarakat": 10, "kader": 20, "psm": 10}) is None
    assert attendance_problem(40, {}) is None
    assert "adds up to 39" in (attendance_problem(40, {"kader": 39}) or "")
    assert "negative" in (attendance_problem(-1, {}) or "")
    assert "kader" in (attendance_problem(1, {"kader": -1, "psm": 2}) or "")
    assert "not a participant category" in (attendance_problem(1, {"wartawan": 1}) or "")
    seed_004 = {"forkopimda": 6, "dprd": 5, "camat": 23, "kepala_desa": 10, "tagana": 4, "sakti_peksos": 4}
    assert attendance_problem(60, {**seed_004, "ormas": 3, "rmb": 2, "tksk": 3}) is None


def test_campaign_totals_count_held_sessions_per_desa_and_category() -> None:
    outcomes = [
        SessionOutcome(KAMPUNG, "held", 40, {"kader": 30, "psm": 10}),
        SessionOutcome(KAMPUNG, "held", 10, {"kader": 10}),
        SessionOutcome(SALAM, "cancelled"),
        SessionOutcome(REJOSARI, "scheduled"),
    ]
    totals = campaign_totals(outcomes)
    assert totals["sessions_planned"] == 4
    assert totals["sessions_held"] == 2
    assert totals["sessions_cancelled"] == 1
    assert totals["participants_reached"] == 50
    assert totals["per_desa"] == {KAMPUNG: {"sessions_held": 2, "participants": 50}}
    assert totals["participants_by_category"] == {"kader": 40, "psm": 10}
    assert not all_sessions_done(outcomes)
    assert all_sessions_done(outcomes[:3])
    assert not all_sessions_done([])
