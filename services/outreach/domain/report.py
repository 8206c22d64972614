"""A held session's report: when a session may be reported, what the report must say, and the follow-ups
(tindak lanjut) it assigns."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pilar_runtime.errors import Unprocessable
from pilar_runtime.regions import Level, checked_region
from services.outreach.domain.completion import CANCELLED, HELD
from services.outreach.domain.followups import CANCELLED_FOLLOWUP, DONE, OPEN, cancelled_followup
from services.outreach.domain.models import Document, ReportAmendmentIn, ReportIn
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


# Amending a held report ---------------------------------------------------------------------------------------


def require_amendable(session: Document) -> None:
    """Only a held session's report can be corrected: a scheduled one is reported first, a cancelled one never."""
    if session["status"] != HELD:
        status = session["status"]
        raise state_conflict(
            f"session_{status}", f"session {session['_id']} is {status}; only a held session's report can be amended"
        )


def amended_session(
    session: Document, report: Mapping[str, Any], *, reason: str, by: str, now: datetime
) -> dict[str, Any]:
    """The held session with its corrected ``report`` (checked like the first), who corrected it, when and why;
    the first reporter stays named."""
    amendment = {"reason": reason, "amended_by": by, "amended_at": now}
    corrected = {**report, "reported_by": session["report"]["reported_by"], "amendment": amendment}
    return {**session, "report": corrected, "updated_by": by, "updated_at": now, "version": session["version"] + 1}


@dataclass(frozen=True)
class FollowupChanges:
    """What an amendment does to a session's follow-ups: ``kept`` (listed again, or completed), ``assigned`` (new
    actions), ``cancelled`` (open ones the corrected report no longer lists)."""

    kept: list[dict[str, Any]]
    assigned: list[dict[str, Any]]
    cancelled: list[dict[str, Any]]
    assigned_from: list[int]  # the index in the report's follow-ups of each assigned one

    @property
    def listed(self) -> list[dict[str, Any]]:
        """The session's follow-ups after the amendment, as its event lists them."""
        return [*self.kept, *self.assigned]


def _same_action(followup: Document) -> tuple[str, str, str]:
    return (str(followup["action"]), str(followup["owner_id"]), str(followup["due_on"]))


def amended_followups(
    body: ReportAmendmentIn,
    session: Document,
    existing: Iterable[Document],
    *,
    new_id: Callable[[], str],
    now: datetime,
) -> FollowupChanges:
    """A follow-up listed again with the same action, owner and due date is kept as it is (with its state); any
    other listed action is assigned anew; an open follow-up no longer listed is cancelled with the amendment's
    reason. A completed one stays: its work was done. (A changed owner or due date is thus a new follow-up, and
    the old one is cancelled.)"""
    waiting = [dict(f) for f in existing if f["status"] != CANCELLED_FOLLOWUP]
    assigned = assigned_followups(body, session, new_id=new_id, now=now)
    kept: list[dict[str, Any]] = []
    new: list[dict[str, Any]] = []
    new_from: list[int] = []
    for i, candidate in enumerate(assigned):
        match = next((f for f in waiting if _same_action(f) == _same_action(candidate)), None)
        if match is None:
            new.append(candidate)
            new_from.append(i)
        else:
            waiting.remove(match)
            kept.append(match)
    kept += [f for f in waiting if f["status"] == DONE]
    cancelled = [cancelled_followup(f, body.reason, now=now) for f in waiting if f["status"] == OPEN]
    return FollowupChanges(kept, new, cancelled, new_from)
