"""Stored documents → the events outreach emits (contracts/events/outreach.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from contracts.envelope import Envelope
from contracts.events.common import Attendance, Attendee, Followup
from contracts.events.outreach import (
    CampaignCancelled,
    CampaignCompleted,
    CampaignPlanned,
    CampaignTargets,
    CampaignUpdated,
    FollowupAssigned,
    FollowupCancelled,
    FollowupCompleted,
    FollowupOverdue,
    SessionCancelled,
    SessionHeld,
    SessionReportAmended,
    SessionRescheduled,
    SessionScheduled,
)
from pilar_runtime.events import new_event
from pilar_runtime.regions import lookup

HELD_EVENT = {"penyuluhan": "penyuluhan_held", "FGD": "FGD_held"}


def _campaign_plan(campaign: dict[str, Any]) -> dict[str, Any]:
    """What ``campaign_planned`` and ``campaign_updated`` carry: the campaign as planned, its planner the owner."""
    return dict(
        campaign_id=campaign["_id"],
        name=campaign["name"],
        topic=campaign["topic"],
        region_code=campaign["region_code"],
        start_date=date.fromisoformat(campaign["start_date"]),
        end_date=date.fromisoformat(campaign["end_date"]),
        desa_codes=campaign["desa_codes"],
        targets=CampaignTargets(**campaign["targets"]),
        max_sessions_per_day=campaign["max_sessions_per_day"],
        officer_ids=campaign["officer_ids"],
        narasumber_ids=campaign["narasumber_ids"],
        owner=campaign["created_by"],
        officers_per_session=campaign["officers_per_session"],
        narasumber_per_session=campaign["narasumber_per_session"],
        cuti_bersama_blocks=campaign.get("cuti_bersama_blocks", False),
    )


def campaign_planned(campaign: dict[str, Any], actor: str) -> Envelope:
    return _event("campaign_planned", CampaignPlanned(**_campaign_plan(campaign)), campaign, actor)


def campaign_updated(campaign: dict[str, Any], changed: list[str], actor: str) -> Envelope:
    payload = CampaignUpdated(**_campaign_plan(campaign), changed=changed, updated_by=actor)
    return _event("campaign_updated", payload, campaign, actor)


def campaign_cancelled(campaign: dict[str, Any], session_ids: list[str], actor: str) -> Envelope:
    payload = CampaignCancelled(
        campaign_id=campaign["_id"],
        name=campaign["name"],
        region_code=campaign["region_code"],
        reason=campaign["cancel_reason"],
        cancelled_by=actor,
        cancelled_session_ids=session_ids,
    )
    return _event("campaign_cancelled", payload, campaign, actor)


def campaign_completed(campaign: dict[str, Any], reason: str, totals: dict[str, Any], actor: str) -> Envelope:
    payload = CampaignCompleted(
        campaign_id=campaign["_id"],
        name=campaign["name"],
        region_code=campaign["region_code"],
        reason=reason,
        targets=CampaignTargets(**campaign["targets"]),
        **totals,
    )
    return _event("campaign_completed", payload, campaign, actor)


def _scheduled_fields(session: dict[str, Any]) -> dict[str, Any]:
    region = lookup(session["region_code"])
    return {
        "session_id": session["_id"],
        "campaign_id": session.get("campaign_id"),
        "kind": session["kind"],
        "topic": session["topic"],
        "region_code": session["region_code"],
        "region_name": region.name if region else None,
        "venue": session["venue"],
        "starts_at": session["starts_at"],
        "ends_at": session["ends_at"],
        "officer_ids": session["officer_ids"],
        "narasumber_ids": session["narasumber_ids"],
        "expected_participants": session["expected_participants"],
        "expected_by_category": session.get("expected_by_category") or {},
    }


def session_scheduled(session: dict[str, Any], actor: str) -> Envelope:
    return _event("session_scheduled", SessionScheduled(**_scheduled_fields(session)), session, actor)


def session_rescheduled(session: dict[str, Any], previous: dict[str, Any], actor: str) -> Envelope:
    payload = SessionRescheduled(
        **_scheduled_fields(session), previous_starts_at=previous["starts_at"], previous_ends_at=previous["ends_at"]
    )
    return _event("session_rescheduled", payload, session, actor)


def session_cancelled(session: dict[str, Any], actor: str) -> Envelope:
    payload = SessionCancelled(
        session_id=session["_id"],
        campaign_id=session.get("campaign_id"),
        kind=session["kind"],
        topic=session["topic"],
        region_code=session["region_code"],
        venue=session["venue"],
        starts_at=session["starts_at"],
        ends_at=session["ends_at"],
        reason=session.get("cancel_reason"),
        officer_ids=session["officer_ids"],
        narasumber_ids=session["narasumber_ids"],
    )
    return _event("session_cancelled", payload, session, actor)


def _held_report(session: dict[str, Any], followups: list[dict[str, Any]]) -> dict[str, Any]:
    """A held session's report as its events carry it."""
    report = session["report"]
    return dict(
        session_id=session["_id"],
        campaign_id=session.get("campaign_id"),
        kind=session["kind"],
        topic=session["topic"],
        region_code=session["region_code"],
        held_on=date.fromisoformat(report["held_on"]),
        attendance=Attendance(**report["attendance"]),
        narasumber_present_ids=report["narasumber_present_ids"],
        summary=report["summary"],
        pilot_desa_codes=report["pilot_desa_codes"],
        attendees=[Attendee(**a) for a in report.get("attendees", [])],
        followups=[
            Followup(
                followup_id=f["_id"], action=f["action"], owner_id=f["owner_id"], due_on=date.fromisoformat(f["due_on"])
            )
            for f in followups
        ],
    )


def session_held(session: dict[str, Any], followups: list[dict[str, Any]], actor: str) -> Envelope:
    return _event(HELD_EVENT[session["kind"]], SessionHeld(**_held_report(session, followups)), session, actor)


def session_report_amended(session: dict[str, Any], followups: list[dict[str, Any]], actor: str) -> Envelope:
    """``followups``: the session's follow-ups as the amendment leaves them (kept and newly assigned)."""
    amendment = session["report"]["amendment"]
    payload = SessionReportAmended(
        **_held_report(session, followups), reason=amendment["reason"], amended_by=amendment["amended_by"]
    )
    return _event("session_report_amended", payload, session, actor)


def _followup_facts(followup: dict[str, Any]) -> dict[str, Any]:
    return {
        "followup_id": followup["_id"],
        "session_id": followup["session_id"],
        "campaign_id": followup.get("campaign_id"),
        "action": followup["action"],
        "owner_id": followup["owner_id"],
    }


def followup_assigned(followup: dict[str, Any], actor: str) -> Envelope:
    payload = FollowupAssigned(**_followup_facts(followup), due_on=date.fromisoformat(followup["due_on"]))
    return _event("followup_assigned", payload, followup, actor)


def followup_completed(followup: dict[str, Any], actor: str) -> Envelope:
    payload = FollowupCompleted(
        **_followup_facts(followup),
        completed_on=date.fromisoformat(followup["completed_on"]),
        note=followup.get("note"),
    )
    return _event("followup_completed", payload, followup, actor)


def followup_overdue(followup: dict[str, Any], actor: str) -> Envelope:
    payload = FollowupOverdue(**_followup_facts(followup), due_on=date.fromisoformat(followup["due_on"]))
    return _event("followup_overdue", payload, followup, actor)


def followup_cancelled(followup: dict[str, Any], actor: str) -> Envelope:
    payload = FollowupCancelled(
        **_followup_facts(followup), due_on=date.fromisoformat(followup["due_on"]), reason=followup["cancel_reason"]
    )
    return _event("followup_cancelled", payload, followup, actor)


def _event(event_type: str, payload: Any, document: dict[str, Any], actor: str) -> Envelope:
    """An event about a stored campaign, session or follow-up: its region, id and version travel with it."""
    return new_event(
        event_type,
        payload,
        actor=actor,
        region_code=document["region_code"],
        aggregate_id=document["_id"],
        aggregate_version=document["version"],
    )
