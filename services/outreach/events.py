"""Stored documents → the events outreach emits (contracts/events/outreach.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from contracts.envelope import Envelope
from contracts.events.common import Attendance, Attendee, Followup
from contracts.events.outreach import (
    CampaignCompleted,
    CampaignPlanned,
    CampaignTargets,
    FollowupAssigned,
    FollowupCompleted,
    FollowupOverdue,
    SessionCancelled,
    SessionHeld,
    SessionRescheduled,
    SessionScheduled,
)
from pilar_runtime.events import new_event
from pilar_runtime.regions import lookup

HELD_EVENT = {"penyuluhan": "penyuluhan_held", "FGD": "FGD_held"}


def campaign_planned(campaign: dict[str, Any], actor: str) -> Envelope:
    payload = CampaignPlanned(
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
        owner=actor,
        officers_per_session=campaign["officers_per_session"],
        narasumber_per_session=campaign["narasumber_per_session"],
    )
    return _event("campaign_planned", payload, campaign, actor)


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


def session_held(session: dict[str, Any], followups: list[dict[str, Any]], actor: str) -> Envelope:
    report = session["report"]
    payload = SessionHeld(
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
    return _event(HELD_EVENT[session["kind"]], payload, session, actor)


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
