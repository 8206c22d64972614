"""A session as outreach keeps it: its topic, the participants expected, the document a placement or the
auto-scheduler's plan becomes, and the states in which it may still change."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pilar_runtime.errors import Conflict, Unprocessable
from pilar_runtime.localtime import to_utc, zone_of
from pilar_runtime.regions import lookup
from services.outreach.domain.completion import CANCELLED, SCHEDULED
from services.outreach.domain.models import Document, SessionIn, SessionPatch
from services.outreach.domain.places import unique
from services.outreach.domain.rules import time_problem
from services.outreach.domain.scheduler import PlannedSession


def state_conflict(rule: str, message: str) -> Conflict:
    """A 409 for a session (or campaign) whose state no longer allows the change: no other session to name."""
    return Conflict({"rule": rule, "message": message, "conflicting_session_id": None})


def require_scheduled(session: Document, doing: str) -> None:
    """Only a scheduled session may be moved, changed or cancelled."""
    if session["status"] != SCHEDULED:
        status = session["status"]
        raise state_conflict(f"session_{status}", f"session {session['_id']} is {status}; {doing}")


def cancelled_session(session: Document, reason: str | None, *, by: str, now: datetime) -> dict[str, Any]:
    return {
        **session,
        "status": CANCELLED,
        "cancel_reason": reason,
        "updated_by": by,
        "updated_at": now,
        "version": session["version"] + 1,
    }


def session_topic(topic: str | None, campaign: Document | None) -> str:
    """The topic given, else the campaign's; a stand-alone session must name its own."""
    chosen = topic or (campaign["topic"] if campaign else None)
    if not chosen:
        raise Unprocessable("topic: required for a session without a campaign")
    return str(chosen)


def check_times(starts_at: datetime, ends_at: datetime) -> None:
    problem = time_problem(starts_at, ends_at)
    if problem:
        raise Unprocessable(problem)


def in_utc(moment: datetime, region: str) -> datetime:
    """A time as given, in UTC: one without an offset is the wall clock of the region's zone (a Bali session at
    09:00 starts at 09:00 WITA)."""
    return to_utc(moment, zone_of(region))


def expected_participants(total: int | None, by_category: Mapping[str, int], campaign: Document | None) -> int:
    """The breakdown's sum (which a total given must match), else the total, else the campaign's target."""
    if by_category:
        counted = sum(by_category.values())
        if total is not None and total != counted:
            raise Unprocessable(f"expected_by_category adds up to {counted}, expected_participants says {total}")
        return counted
    if total is not None:
        return total
    return int(((campaign or {}).get("targets") or {}).get("participants_per_session") or 0)


def new_session(
    body: SessionIn,
    campaign: Document | None,
    *,
    topic: str,
    region: str,
    session_id: str,
    created_by: str,
    now: datetime,
) -> dict[str, Any]:
    """A session placed by hand: ``topic`` and ``region`` are the checked ones."""
    starts_at, ends_at = in_utc(body.starts_at, region), in_utc(body.ends_at, region)
    check_times(starts_at, ends_at)
    by_category = {k.value: v for k, v in body.expected_by_category.items()}
    return {
        "_id": session_id,
        "kind": body.kind.value,
        "campaign_id": body.campaign_id,
        "topic": topic,
        "region_code": region,
        "venue": body.venue,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "officer_ids": unique(body.officer_ids),
        "narasumber_ids": unique(body.narasumber_ids),
        "expected_participants": expected_participants(body.expected_participants, by_category, campaign),
        "expected_by_category": by_category,
        "status": SCHEDULED,
        "version": 1,
        "created_by": created_by,
        "created_at": now,
    }


def auto_session(
    planned: PlannedSession, campaign: Document, *, session_id: str, created_by: str, now: datetime
) -> dict[str, Any]:
    """A penyuluhan the auto-scheduler placed: in the desa's village hall, expecting the campaign's target."""
    desa = lookup(planned.region_code)
    return {
        "_id": session_id,
        "kind": "penyuluhan",
        "campaign_id": campaign["_id"],
        "topic": campaign["topic"],
        "region_code": planned.region_code,
        "venue": f"Balai Desa {desa.name}" if desa else "Balai Desa",
        "starts_at": planned.starts_at,
        "ends_at": planned.ends_at,
        "officer_ids": list(planned.officer_ids),
        "narasumber_ids": list(planned.narasumber_ids),
        "expected_participants": int(campaign["targets"].get("participants_per_session") or 0),
        "expected_by_category": {},
        "status": SCHEDULED,
        "version": 1,
        "created_by": created_by,
        "created_at": now,
        "auto_scheduled": True,
    }


def session_changes(body: SessionPatch) -> dict[str, Any]:
    """The fields a PATCH sets (a null leaves a field as it is)."""
    changes = body.model_dump(exclude_unset=True)
    if body.expected_by_category is not None:
        changes["expected_by_category"] = {k.value: v for k, v in body.expected_by_category.items()}
    return {k: v for k, v in changes.items() if v is not None}


def changed_session(before: Document, changes: Mapping[str, Any], campaign: Document | None) -> dict[str, Any] | None:
    """The session after ``changes`` (its region already checked), one version on; None when nothing changes."""
    after = {**before, **changes}
    for field in ("starts_at", "ends_at"):
        if field in changes:  # only the times given: the stored ones are UTC already
            after[field] = in_utc(changes[field], after["region_code"])
    after["officer_ids"] = unique(after["officer_ids"])
    after["narasumber_ids"] = unique(after["narasumber_ids"])
    check_times(after["starts_at"], after["ends_at"])
    if "expected_by_category" in changes or "expected_participants" in changes:
        after["expected_participants"] = expected_participants(
            changes.get("expected_participants"), after.get("expected_by_category") or {}, campaign
        )
    if all(after[k] == before.get(k) for k in after):
        return None
    after["version"] = before["version"] + 1
    return after
