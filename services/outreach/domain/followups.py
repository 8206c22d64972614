"""A follow-up's life: open until completed (on a day not in the future), overdue once when its day has passed;
cancelled when an amended report no longer lists it while open."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pilar_runtime.errors import Conflict, Unprocessable
from services.outreach.domain.models import CompleteFollowupIn, Document

OPEN, DONE, CANCELLED_FOLLOWUP = "open", "done", "cancelled"


def completed_followup(before: Document, body: CompleteFollowupIn, *, today: date, by: str) -> dict[str, Any]:
    """The follow-up done: on the day given (today by default, never later), one version on."""
    if before["status"] != OPEN:
        done = "already completed" if before["status"] == DONE else "cancelled"
        raise Conflict({"rule": "followup_open", "message": f"follow-up {before['_id']} is {done}"})
    completed_on = body.completed_on or today
    if completed_on > today:
        raise Unprocessable(f"completed_on: {completed_on} is in the future")
    return {
        **before,
        "status": DONE,
        "completed_on": completed_on.isoformat(),
        "note": body.note,
        "completed_by": by,
        "version": before["version"] + 1,
    }


def turns_overdue(followup: Document) -> bool:
    """Its due day has passed: an open follow-up becomes overdue, once."""
    return followup["status"] == OPEN and not followup.get("overdue")


def cancelled_followup(followup: Document, reason: str, *, now: datetime) -> dict[str, Any]:
    """An open follow-up dropped by an amended report, one version on."""
    return {
        **followup,
        "status": CANCELLED_FOLLOWUP,
        "cancel_reason": reason,
        "cancelled_at": now,
        "version": followup["version"] + 1,
    }
