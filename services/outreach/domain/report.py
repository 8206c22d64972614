"""A held session's report: when a session may be reported, what the report must say, and the follow-ups
(tindak lanjut) it assigns."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from pilar_runtime.errors import Unprocessable
from pilar_runtime.regions import Level, checked_region
from services.outreach.domain.completion import CANCELLED, HELD
from services.outreach.domain.followups import OPEN
from services.outreach.domain.models import Document, ReportIn
from services.outreach.domain.places import unique
from services.outreach.domain.sessions import state_conflict


def require_reportable(session: Document) -> None:
    """A session is reported once, and never after it was cancelled."""
    if session["status"] == CANCELLED:
        raise state_conflict("session_cancelled", f"session {session['_id']} was cancelled; it cannot be reported")
    if session["status"] == HELD:
        raise state_conflict("session_already_reported", f"session {session['_id']} was already reported")


def held_report(body: ReportIn, session: Document, *, today: date, reported_by: str) -> dict[str, Any]:
    """The report as stored with the session. Held on or before ``today``; the narasumber present were assigned;
    the pilot desa are real desa; no follow-up falls due before the session was held."""
    if body.held_on > today:
        raise Unprocessable(f"held_on: {body.held_on} is in the future")
    strangers = [n for n in body.narasumber_present_ids if n not in session["narasumber_ids"]]
    if strangers:
        raise Unprocessable(f"narasumber_present_ids: {', '.join(strangers)} not assigned to session {session['_id']}")
    pilots = [
        checked_region(code, f"outcomes.pilot_desa_codes[{i}]", Level.DESA)
        for i, code in enumerate(body.outcomes.pilot_desa_codes)
    ]
    if len(body.attendees) > body.attendance.total:
        raise Unprocessable(f"attendees: {len(body.attendees)} names, attendance.total says {body.attendance.total}")
    attendees = [
        {
            "name": a.name,
            "category": a.category.value,
            "institution": a.institution,
            "desa_code": checked_region(a.desa_code, f"attendees[{i}].desa_code", Level.DESA) if a.desa_code else None,
        }
        for i, a in enumerate(body.attendees)
    ]
    for i, followup in enumerate(body.outcomes.followups):
        if followup.due_on < body.held_on:
            raise Unprocessable(f"outcomes.followups[{i}].due_on: {followup.due_on} is before held_on {body.held_on}")
    return {
        "held_on": body.held_on.isoformat(),
        "attendance": {
            "total": body.attendance.total,
            "by_category": {k.value: v for k, v in body.attendance.by_category.items()},
        },
        "narasumber_present_ids": unique(body.narasumber_present_ids),
        "summary": body.summary,
        "pilot_desa_codes": unique(pilots),
        "attendees": attendees,
        "reported_by": reported_by,
    }


def held_session(session: Document, report: Mapping[str, Any]) -> dict[str, Any]:
    return {**session, "status": HELD, "report": dict(report), "version": session["version"] + 1}


def assigned_followups(
    body: ReportIn, session: Document, *, new_id: Callable[[], str], now: datetime
) -> list[dict[str, Any]]:
    """One open follow-up per action of the report, in the session's region."""
    return [
        {
            "_id": new_id(),
            "session_id": session["_id"],
            "campaign_id": session.get("campaign_id"),
            "region_code": session["region_code"],
            "action": f.action,
            "owner_id": f.owner_id,
            "due_on": f.due_on.isoformat(),
            "status": OPEN,
            "overdue": False,
            "version": 1,
            "created_at": now,
        }
        for f in body.outcomes.followups
    ]
