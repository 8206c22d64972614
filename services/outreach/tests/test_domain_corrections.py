"""The pure decisions of corrections: which follow-ups an amended report keeps, assigns and cancels; what a
campaign change would break for its sessions; a planned campaign's change and cancellation."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pilar_runtime.errors import Conflict, Unprocessable
from pilar_runtime.localtime import at_local
from services.outreach.domain.campaigns import cancelled_campaign, changed_campaign, require_planned
from services.outreach.domain.followups import CANCELLED_FOLLOWUP, DONE, OPEN
from services.outreach.domain.models import CampaignPatch, ReportAmendmentIn
from services.outreach.domain.report import amended_followups, amended_session, require_amendable
from services.outreach.domain.rules import Booking, CampaignTerms, campaign_change_violations
from services.outreach.tests.test_domain_scheduler import SEED_001_DESA

NOW = datetime(2019, 9, 1, 3, 0, tzinfo=UTC)
ACTIONS = ("Pemetaan aset desa pilot", "Monev triwulan I", "Rancangan perdes")
OWNERS = ("tksk-maesan", "psm-tamanan")
DUES = ("2020-12-31", "2021-03-31")
SESSION = {"_id": "ses-fgd", "campaign_id": None, "region_code": "35.11", "status": "held", "version": 2}

followup_keys = st.tuples(st.sampled_from(ACTIONS), st.sampled_from(OWNERS), st.sampled_from(DUES))


def _existing(keys: list[tuple[str, str, str]], statuses: list[str]) -> list[dict[str, Any]]:
    return [
        {"_id": f"fol-{i}", "session_id": "ses-fgd", "action": a, "owner_id": o, "due_on": d, "status": s, "version": 1}
        for i, ((a, o, d), s) in enumerate(zip(keys, statuses, strict=True))
    ]


def _amendment(keys: list[tuple[str, str, str]]) -> ReportAmendmentIn:
    followups = [{"action": a, "owner_id": o, "due_on": d} for a, o, d in keys]
    return ReportAmendmentIn.model_validate(
        {"held_on": "2020-11-30", "attendance": {"total": 120}, "outcomes": {"followups": followups}, "reason": "r"}
    )


@given(
    before=st.lists(st.tuples(followup_keys, st.sampled_from((OPEN, DONE, CANCELLED_FOLLOWUP))), max_size=6),
    after=st.lists(followup_keys, max_size=6),
)
def test_an_amendment_keeps_assigns_and_cancels_follow_ups_by_their_action_owner_and_due_date(
    before: list[tuple[tuple[str, str, str], str]], after: list[tuple[str, str, str]]
) -> None:
    existing = _existing([k for k, _ in before], [s for _, s in before])
    ids = (f"fol-new-{n}" for n in itertools.count())
    change = amended_followups(_amendment(after), SESSION, existing, new_id=lambda: next(ids), now=NOW)
    key = lambda f: (f["action"], f["owner_id"], f["due_on"])  # noqa: E731
    # Every listed action is there once: kept (the matches come first, in the report's order) or newly assigned.
    matched = change.kept[: len(after) - len(change.assigned)]
    assert sorted([key(f) for f in matched] + [key(f) for f in change.assigned]) == sorted(after)
    assert [key(f) for f in change.assigned] == [after[i] for i in change.assigned_from]
    assert all(f["status"] == OPEN and f["version"] == 1 and f["region_code"] == "35.11" for f in change.assigned)
    # Nothing cancelled before comes back; a completed follow-up always stays; only open ones are cancelled.
    assert not any(f["status"] == CANCELLED_FOLLOWUP for f in change.kept)
    done_ids = {f["_id"] for f in existing if f["status"] == DONE}
    assert done_ids <= {f["_id"] for f in change.kept}
    for cancelled in change.cancelled:
        original = next(f for f in existing if f["_id"] == cancelled["_id"])
        assert original["status"] == OPEN and cancelled["status"] == CANCELLED_FOLLOWUP
        assert cancelled["version"] == 2 and cancelled["cancel_reason"] == "r"
    # Open follow-ups are either listed again (kept) or cancelled, never both, never lost.
    open_ids = {f["_id"] for f in existing if f["status"] == OPEN}
    kept_ids, cancelled_ids = {f["_id"] for f in change.kept}, {f["_id"] for f in change.cancelled}
    assert open_ids == (open_ids & kept_ids) | cancelled_ids and not kept_ids & cancelled_ids
    # Listing the same follow-ups again changes nothing.
    if all(s == OPEN for _, s in before):
        again = amended_followups(
            _amendment([k for k, _ in before]), SESSION, existing, new_id=lambda: next(ids), now=NOW
        )
        assert (again.assigned, again.cancelled) == ([], []) and len(again.kept) == len(existing)


def test_only_a_held_report_is_amended_and_the_first_reporter_stays_named() -> None:
    for status in ("scheduled", "cancelled"):
        with pytest.raises(Conflict) as refused:
            require_amendable({**SESSION, "status": status})
        assert refused.value.detail["rule"] == f"session_{status}"
    require_amendable(SESSION)
    held = {**SESSION, "report": {"reported_by": "op-bdw", "attendance": {"total": 120}}}
    report = {"reported_by": "op-bdw-2", "attendance": {"total": 123}}
    amended = amended_session(held, report, reason="notulen dikoreksi", by="op-bdw-2", now=NOW)
    assert amended["report"]["reported_by"] == "op-bdw" and amended["report"]["attendance"]["total"] == 123
    assert amended["report"]["amendment"] == {
        "reason": "notulen dikoreksi",
        "amended_by": "op-bdw-2",
        "amended_at": NOW,
    }
    assert (amended["version"], amended["updated_by"], amended["updated_at"]) == (3, "op-bdw-2", NOW)


CAMPAIGN: dict[str, Any] = {
    "_id": "cmp-1",
    "name": "Penyuluhan Sosial Penumbuhan WKSBM 2019",
    "topic": "penumbuhan WKSBM",
    "region_code": "34.03",
    "start_date": "2019-08-08",
    "end_date": "2019-08-15",
    "desa_codes": list(SEED_001_DESA),
    "targets": {"new_wksbm": 10, "new_pokja": None, "participants_per_session": 40},
    "max_sessions_per_day": 2,
    "officer_ids": ["psm-01", "psm-02"],
    "narasumber_ids": ["nar-balai"],
    "officers_per_session": 1,
    "narasumber_per_session": 1,
    "status": "planned",
    "version": 1,
    "created_by": "op-gk",
}


def test_a_planned_campaign_changes_one_version_on_naming_what_changed() -> None:
    patch = CampaignPatch.model_validate(
        {"end_date": "2019-08-20", "targets": {"new_wksbm": 11}, "officer_ids": ["psm-02", "psm-02", "psm-03"]}
    )
    changed = changed_campaign(CAMPAIGN, patch, by="op-gk-2", now=NOW)
    assert changed is not None
    after, fields = changed
    assert fields == ["end_date", "officer_ids", "targets"]
    assert (after["end_date"], after["officer_ids"], after["version"]) == ("2019-08-20", ["psm-02", "psm-03"], 2)
    assert after["targets"] == {"new_wksbm": 11, "new_pokja": None, "participants_per_session": None}
    assert (after["updated_by"], after["updated_at"], after["region_code"]) == ("op-gk-2", NOW, "34.03")
    same = CampaignPatch.model_validate({"end_date": "2019-08-15", "desa_codes": list(SEED_001_DESA)})
    assert changed_campaign(CAMPAIGN, same, by="op-gk-2", now=NOW) is None
    for body, named in (
        ({"start_date": "2019-08-16"}, "end_date"),
        ({"end_date": "2020-09-01"}, "at most a year"),
        ({"desa_codes": ["35.11.01.2001"]}, "outside the campaign's region"),
        ({"desa_codes": [SEED_001_DESA[0], SEED_001_DESA[0]]}, "listed twice"),
    ):
        with pytest.raises(Unprocessable, match=named):
            changed_campaign(CAMPAIGN, CampaignPatch.model_validate(body), by="op-gk", now=NOW)


def test_a_cancelled_or_completed_campaign_takes_no_change() -> None:
    cancelled = cancelled_campaign(CAMPAIGN, "anggaran dialihkan", by="op-gk", now=NOW)
    assert (cancelled["status"], cancelled["version"], cancelled["cancelled_by"]) == ("cancelled", 2, "op-gk")
    for campaign in (cancelled, {**CAMPAIGN, "status": "completed"}):
        with pytest.raises(Conflict) as refused:
            require_planned(campaign, "it can no longer be changed")
        assert refused.value.detail["rule"] == "campaign_open"
    require_planned(CAMPAIGN, "x")


def _session(session_id: str, desa: str, day: date, hour: int = 9) -> Booking:
    return Booking(session_id, desa, at_local(day, time(hour)), at_local(day, time(hour + 3)), ("psm-01",), (), "cmp-1")


def test_a_campaign_change_names_the_session_each_rule_would_break() -> None:
    kampung, salam = SEED_001_DESA[0], SEED_001_DESA[1]
    sessions = [
        _session("ses-a", kampung, date(2019, 8, 8)),
        _session("ses-b", salam, date(2019, 8, 8), 13),
        _session("ses-c", SEED_001_DESA[2], date(2019, 8, 13)),
    ]
    terms = CampaignTerms("cmp-1", "34.03", date(2019, 8, 8), date(2019, 8, 15), 2)
    assert campaign_change_violations(terms, SEED_001_DESA, [], sessions) == []

    shorter = CampaignTerms("cmp-1", "34.03", date(2019, 8, 8), date(2019, 8, 12), 2)
    [broken] = campaign_change_violations(shorter, SEED_001_DESA, [], sessions)
    assert (broken.rule, broken.conflicting_session_id) == ("inside_campaign_period", "ses-c")

    one_a_day = CampaignTerms("cmp-1", "34.03", date(2019, 8, 8), date(2019, 8, 15), 1)
    [capped] = campaign_change_violations(one_a_day, SEED_001_DESA, [], sessions)
    assert capped.rule == "max_sessions_per_day" and capped.conflicting_session_id in {"ses-a", "ses-b"}

    fewer = [d for d in SEED_001_DESA if d != salam]
    [dropped] = campaign_change_violations(terms, fewer, [salam], sessions)
    assert (dropped.rule, dropped.conflicting_session_id) == ("campaign_desa_has_session", "ses-b")
    # A desa without sessions may go.
    assert campaign_change_violations(terms, SEED_001_DESA[:-1], [SEED_001_DESA[-1]], sessions) == []
