"""The pure decisions of the commands: a session's document and changes, a held session's report and its
follow-ups, a follow-up's completion, a campaign's desa and completion. Hypothesis where a property fits."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pilar_runtime.errors import Conflict, Unprocessable
from pilar_runtime.localtime import at_local
from services.outreach.domain.campaigns import campaign_desa, completed_campaign
from services.outreach.domain.completion import SessionOutcome, campaign_totals, completion_reason
from services.outreach.domain.followups import DONE, OPEN, completed_followup, turns_overdue
from services.outreach.domain.models import CompleteFollowupIn, ReportIn, SessionPatch
from services.outreach.domain.report import assigned_followups, held_report, held_session, require_reportable
from services.outreach.domain.scheduler import PlannedSession
from services.outreach.domain.sessions import (
    auto_session,
    cancelled_session,
    changed_session,
    expected_participants,
    require_scheduled,
    session_changes,
    session_topic,
)
from services.outreach.store import booking
from services.outreach.tests.test_domain_scheduler import SEED_001_DESA

NOW = datetime(2019, 8, 1, 3, 0, tzinfo=UTC)
HELD_ON = date(2019, 8, 8)
PEOPLE = ("psm-01", "psm-02", "nar-balai", "nar-dinsos", "nar-bbppks-1")
CAMPAIGN: dict[str, Any] = {
    "_id": "cmp-1",
    "topic": "penumbuhan WKSBM",
    "region_code": "34.03",
    "targets": {"new_wksbm": 10, "new_pokja": None, "participants_per_session": 40},
}


def scheduled(**changes: Any) -> dict[str, Any]:
    return {
        "_id": "ses-1",
        "kind": "penyuluhan",
        "campaign_id": "cmp-1",
        "topic": "penumbuhan WKSBM",
        "region_code": SEED_001_DESA[0],
        "venue": "Balai Desa Kampung",
        "starts_at": at_local(HELD_ON, time(9)),
        "ends_at": at_local(HELD_ON, time(12)),
        "officer_ids": ["psm-01"],
        "narasumber_ids": ["nar-balai", "nar-dinsos"],
        "expected_participants": 40,
        "expected_by_category": {},
        "status": "scheduled",
        "version": 1,
        **changes,
    }


# Sessions ------------------------------------------------------------------------------------------------------

counts = st.integers(min_value=0, max_value=500)
breakdowns = st.dictionaries(st.sampled_from(["kader", "psm", "tksk", "lainnya"]), counts, max_size=4)


@given(breakdowns, st.one_of(st.none(), counts), st.one_of(st.none(), st.just(CAMPAIGN)))
def test_expected_participants_come_from_the_breakdown_the_total_or_the_campaign(
    by_category: dict[str, int], total: int | None, campaign: dict[str, Any] | None
) -> None:
    if by_category and total is not None and total != sum(by_category.values()):
        with pytest.raises(Unprocessable, match="expected_by_category adds up to"):
            expected_participants(total, by_category, campaign)
        return
    expected = expected_participants(total, by_category, campaign)
    if by_category:
        assert expected == sum(by_category.values())
    elif total is not None:
        assert expected == total
    else:
        assert expected == (40 if campaign else 0)


def test_a_stand_alone_session_names_its_own_topic() -> None:
    assert session_topic(None, CAMPAIGN) == "penumbuhan WKSBM"
    assert session_topic("pencegahan NAPZA", CAMPAIGN) == "pencegahan NAPZA"
    with pytest.raises(Unprocessable, match="topic: required"):
        session_topic(None, None)


planned_sessions = st.builds(
    PlannedSession,
    region_code=st.sampled_from(SEED_001_DESA),
    starts_at=st.sampled_from([at_local(HELD_ON, time(9)), at_local(HELD_ON, time(13))]),
    ends_at=st.just(at_local(HELD_ON, time(16))),
    officer_ids=st.lists(st.sampled_from(PEOPLE[:2]), min_size=1, max_size=2, unique=True).map(tuple),
    narasumber_ids=st.lists(st.sampled_from(PEOPLE[2:]), max_size=3, unique=True).map(tuple),
)


@given(planned_sessions)
def test_an_auto_scheduled_session_is_the_plan_in_the_desas_village_hall(planned: PlannedSession) -> None:
    session = auto_session(planned, CAMPAIGN, session_id="ses-9", created_by="op-gk", now=NOW)
    # The rules see exactly what the scheduler planned.
    assert booking(session) == planned.booking("ses-9", "cmp-1")
    assert session["venue"].startswith("Balai Desa ") and len(session["venue"]) > len("Balai Desa ")
    assert (session["kind"], session["status"], session["version"]) == ("penyuluhan", "scheduled", 1)
    assert session["topic"] == CAMPAIGN["topic"] and session["expected_participants"] == 40
    assert session["auto_scheduled"] is True and session["created_at"] == NOW


def test_only_a_scheduled_session_changes() -> None:
    require_scheduled(scheduled(), "it can no longer be changed")
    for status in ("held", "cancelled"):
        with pytest.raises(Conflict) as refused:
            require_scheduled(scheduled(status=status), "it can no longer be changed")
        assert refused.value.detail["rule"] == f"session_{status}"
        assert refused.value.detail["conflicting_session_id"] is None


patches = st.fixed_dictionaries(
    {},
    optional={
        "venue": st.sampled_from(["Balai Desa Kampung", "Pendopo Kecamatan"]),
        "officer_ids": st.lists(st.sampled_from(PEOPLE[:2]), min_size=1, max_size=3),
        "narasumber_ids": st.lists(st.sampled_from(PEOPLE[2:]), max_size=4),
        "expected_participants": counts,
        "starts_at": st.sampled_from([at_local(HELD_ON, time(9)), at_local(HELD_ON, time(10))]),
    },
)


@given(patches)
def test_a_change_moves_the_version_once_and_repeating_it_changes_nothing(patch: dict[str, Any]) -> None:
    before = scheduled()
    changes = session_changes(SessionPatch.model_validate(patch))
    after = changed_session(before, changes, CAMPAIGN)
    if after is None:  # nothing changed once the people are counted once each
        merged = {**before, **changes}
        assert all(list(dict.fromkeys(merged[k])) == before[k] for k in ("officer_ids", "narasumber_ids"))
        assert all(merged[k] == before[k] for k in changes if not k.endswith("_ids"))
        return
    assert after["version"] == before["version"] + 1
    assert after["officer_ids"] == list(dict.fromkeys(after["officer_ids"]))
    assert after["narasumber_ids"] == list(dict.fromkeys(after["narasumber_ids"]))
    assert changed_session(after, changes, CAMPAIGN) is None


def test_a_cancelled_session_keeps_its_reason_one_version_on() -> None:
    cancelled = cancelled_session(scheduled(), "banjir", by="op-gk", now=NOW)
    assert (cancelled["status"], cancelled["cancel_reason"], cancelled["version"]) == ("cancelled", "banjir", 2)


def test_a_change_that_ends_before_it_starts_is_invalid() -> None:
    changes = session_changes(SessionPatch(starts_at=at_local(HELD_ON, time(13))))
    with pytest.raises(Unprocessable, match="must be after starts_at"):
        changed_session(scheduled(), changes, CAMPAIGN)


# Held-session reports ------------------------------------------------------------------------------------------


def report(**changes: Any) -> ReportIn:
    body: dict[str, Any] = {
        "held_on": HELD_ON.isoformat(),
        "attendance": {"total": 40, "by_category": {"kader": 30, "psm": 10}},
        "narasumber_present_ids": ["nar-balai"],
        "summary": "Terbentuk WKSBM",
        "outcomes": {
            "pilot_desa_codes": [SEED_001_DESA[0]],
            "followups": [{"action": "SK WKSBM", "owner_id": "psm-01", "due_on": "2019-09-01"}],
        },
        **changes,
    }
    return ReportIn.model_validate(body)


def test_a_session_is_reported_once_and_never_after_it_was_cancelled() -> None:
    require_reportable(scheduled())
    for status, rule in (("cancelled", "session_cancelled"), ("held", "session_already_reported")):
        with pytest.raises(Conflict) as refused:
            require_reportable(scheduled(status=status))
        assert refused.value.detail["rule"] == rule


@given(st.lists(st.sampled_from(["nar-balai", "nar-dinsos", "nar-x"]), max_size=4))
def test_only_assigned_narasumber_can_be_present(present: list[str]) -> None:
    body = report(narasumber_present_ids=present)
    if "nar-x" in present:
        with pytest.raises(Unprocessable, match="nar-x not assigned to session ses-1"):
            held_report(body, scheduled(), today=HELD_ON, reported_by="op-gk")
        return
    stored = held_report(body, scheduled(), today=HELD_ON, reported_by="op-gk")
    assert stored["narasumber_present_ids"] == list(dict.fromkeys(present))


@given(st.integers(min_value=-30, max_value=30), st.integers(min_value=-30, max_value=30))
def test_a_report_is_not_from_the_future_and_no_followup_is_due_before_it(held: int, due: int) -> None:
    held_on, due_on = HELD_ON + timedelta(days=held), HELD_ON + timedelta(days=due)
    followups = [{"action": "SK WKSBM", "owner_id": "psm-01", "due_on": due_on.isoformat()}]
    body = report(held_on=held_on.isoformat(), outcomes={"followups": followups})
    if held_on > HELD_ON:
        with pytest.raises(Unprocessable, match=r"held_on: .* is in the future"):
            held_report(body, scheduled(), today=HELD_ON, reported_by="op-gk")
    elif due_on < held_on:
        with pytest.raises(Unprocessable, match=r"outcomes.followups\[0\].due_on"):
            held_report(body, scheduled(), today=HELD_ON, reported_by="op-gk")
    else:
        stored = held_report(body, scheduled(), today=HELD_ON, reported_by="op-gk")
        assert stored["held_on"] == held_on.isoformat() and stored["reported_by"] == "op-gk"


def test_pilot_desa_are_real_desa_named_once() -> None:
    stored = held_report(
        report(outcomes={"pilot_desa_codes": [SEED_001_DESA[1], SEED_001_DESA[1], SEED_001_DESA[2]]}),
        scheduled(),
        today=HELD_ON,
        reported_by="op-gk",
    )
    assert stored["pilot_desa_codes"] == [SEED_001_DESA[1], SEED_001_DESA[2]]
    for bad in ("34.03.13", "34.03.13.9999"):
        with pytest.raises(Unprocessable, match=r"outcomes.pilot_desa_codes\[0\]"):
            held_report(report(outcomes={"pilot_desa_codes": [bad]}), scheduled(), today=HELD_ON, reported_by="x")


def test_the_held_session_carries_the_report_one_version_on() -> None:
    before = scheduled()
    stored = held_report(report(), before, today=HELD_ON, reported_by="op-gk")
    after = held_session(before, stored)
    assert (after["status"], after["version"], after["report"]) == ("held", 2, stored)
    assert before["status"] == "scheduled"
    assert stored["attendance"] == {"total": 40, "by_category": {"kader": 30, "psm": 10}}


actions = st.lists(
    st.builds(
        lambda action, owner, days: {"action": action, "owner_id": owner, "due_on": str(HELD_ON + timedelta(days))},
        st.text(alphabet="abcdefgh ", min_size=1, max_size=20).filter(str.strip),
        st.sampled_from(PEOPLE[:2]),
        st.integers(min_value=0, max_value=90),
    ),
    max_size=6,
)


@given(actions)
def test_each_action_of_a_report_is_one_open_followup_in_the_sessions_region(followups: list[dict[str, Any]]) -> None:
    ids = (f"fol-{n}" for n in itertools.count())
    assigned = assigned_followups(
        report(outcomes={"followups": followups}), scheduled(), new_id=lambda: next(ids), now=NOW
    )
    assert [f["_id"] for f in assigned] == [f"fol-{n}" for n in range(len(followups))]
    assert [(f["owner_id"], f["due_on"]) for f in assigned] == [(f["owner_id"], f["due_on"]) for f in followups]
    for followup in assigned:
        assert (followup["session_id"], followup["campaign_id"]) == ("ses-1", "cmp-1")
        assert followup["region_code"] == SEED_001_DESA[0]
        assert (followup["status"], followup["overdue"], followup["version"]) == (OPEN, False, 1)


# Follow-ups ----------------------------------------------------------------------------------------------------

FOLLOWUP: dict[str, Any] = {"_id": "fol-1", "status": OPEN, "overdue": False, "version": 1}


@given(st.one_of(st.none(), st.integers(min_value=-10, max_value=10)))
def test_a_followup_is_completed_once_and_not_in_the_future(days: int | None) -> None:
    completed_on = None if days is None else HELD_ON + timedelta(days=days)
    body = CompleteFollowupIn(completed_on=completed_on, note="selesai")
    if completed_on is not None and completed_on > HELD_ON:
        with pytest.raises(Unprocessable, match="is in the future"):
            completed_followup(FOLLOWUP, body, today=HELD_ON, by="op-gk")
        return
    after = completed_followup(FOLLOWUP, body, today=HELD_ON, by="op-gk")
    assert (after["status"], after["version"], after["completed_by"]) == (DONE, 2, "op-gk")
    assert after["completed_on"] == (completed_on or HELD_ON).isoformat()
    with pytest.raises(Conflict) as again:
        completed_followup(after, body, today=HELD_ON, by="op-gk")
    assert again.value.detail["rule"] == "followup_open"


def test_only_an_open_followup_turns_overdue_and_only_once() -> None:
    assert turns_overdue(FOLLOWUP)
    assert not turns_overdue({**FOLLOWUP, "overdue": True})
    assert not turns_overdue({**FOLLOWUP, "status": DONE})


# Campaigns -----------------------------------------------------------------------------------------------------


@given(st.lists(st.sampled_from([*SEED_001_DESA, "35.11.01.2001"]), min_size=1, max_size=12))
def test_a_campaigns_desa_lie_inside_its_region_each_once(codes: list[str]) -> None:
    outside = "35.11.01.2001" in codes
    twice = len(set(codes)) < len(codes)
    if outside or twice:
        with pytest.raises(Unprocessable, match=r"desa_codes\[\d+\]: desa .* (lies outside|is listed twice)"):
            campaign_desa(codes, "34.03")
        return
    assert campaign_desa(codes, "34.03") == codes


statuses = st.lists(st.sampled_from(["scheduled", "held", "cancelled"]), max_size=6)


@given(statuses, st.booleans())
def test_a_campaign_completes_when_its_period_ends_or_every_session_is_done(done: list[str], ended: bool) -> None:
    outcomes = [SessionOutcome(SEED_001_DESA[0], status) for status in done]
    reason = completion_reason(outcomes, period_ended=ended)
    if ended:
        assert reason == "period_ended"
    elif done and "scheduled" not in done:
        assert reason == "all_sessions_done"
    else:
        assert reason is None
        return
    completed = completed_campaign({**CAMPAIGN, "status": "planned", "version": 1}, reason, campaign_totals(outcomes))
    assert (completed["status"], completed["completed_reason"], completed["version"]) == ("completed", reason, 2)
    assert completed["totals"]["sessions_planned"] == len(done)
