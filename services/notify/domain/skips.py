"""Notices that would come too late: an invitation, update, cancellation or reminder for a session that has already
started (history entered after the fact, or a reminder timer fired late) is recorded as skipped, with the reason,
and nothing is sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

SESSION_STARTED = "session_started"


@dataclass(frozen=True)
class Skip:
    """Why a notice's deliveries are recorded without being sent: `reason` a code, `detail` for people."""

    reason: str
    detail: str


def session_started(starts_at: datetime | str, now: datetime) -> Skip | None:
    """A skip when the session started at or before `now`; None while it is still ahead."""
    start = datetime.fromisoformat(starts_at) if isinstance(starts_at, str) else starts_at
    if start > now:
        return None
    return Skip(SESSION_STARTED, f"the session started at {start.isoformat()}, before this notice: nothing is sent")
