"""Events produced by outreach: campaigns, sessions, held sessions, follow-ups."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from contracts.envelope import EventPayload
from contracts.events.common import Attendance, Attendee, Followup, SessionKind


class CampaignTargets(EventPayload):
    new_wksbm: int | None = Field(default=None, ge=0)
    new_pokja: int | None = Field(default=None, ge=0)
    participants_per_session: int | None = Field(default=None, ge=0)


class CampaignPlanned(EventPayload):
    campaign_id: str
    name: str
    topic: str
    region_code: str
    start_date: date
    end_date: date
    desa_codes: list[str]
    targets: CampaignTargets = Field(default_factory=CampaignTargets)
    max_sessions_per_day: int
    officer_ids: list[str] = Field(default_factory=list)
    narasumber_ids: list[str] = Field(default_factory=list)
    owner: str | None = Field(default=None, description="who planned it (the operator's `sub`)")
    officers_per_session: int | None = Field(default=None, ge=0)
    narasumber_per_session: int | None = Field(default=None, ge=0)
    cuti_bersama_blocks: bool = Field(
        default=False, description="sessions on cuti bersama are refused rather than warned about"
    )


class DesaTotals(EventPayload):
    sessions_held: int
    participants: int


class CampaignCompleted(EventPayload):
    campaign_id: str
    name: str
    region_code: str
    reason: str = Field(description="all_sessions_done | period_ended")
    sessions_planned: int
    sessions_held: int
    sessions_cancelled: int
    participants_reached: int
    per_desa: dict[str, DesaTotals] = Field(default_factory=dict)
    participants_by_category: dict[str, int] = Field(
        default_factory=dict, description="participants of held sessions by category (tokoh_masyarakat, kader, …)"
    )
    targets: CampaignTargets | None = None


class SessionPlaced(EventPayload):
    """What every event about a session's place in the calendar carries."""

    session_id: str
    campaign_id: str | None = None
    kind: SessionKind
    topic: str
    region_code: str
    venue: str
    starts_at: datetime


class SessionScheduled(SessionPlaced):
    ends_at: datetime
    officer_ids: list[str] = Field(default_factory=list)
    narasumber_ids: list[str] = Field(default_factory=list)
    expected_participants: int = 0
    expected_by_category: dict[str, int] = Field(default_factory=dict)
    region_name: str | None = Field(default=None, description="name of the desa (or region) for invitations")


class SessionRescheduled(SessionScheduled):
    previous_starts_at: datetime
    previous_ends_at: datetime


class SessionCancelled(SessionPlaced):
    ends_at: datetime | None = None
    reason: str | None = None
    officer_ids: list[str] = Field(default_factory=list)
    narasumber_ids: list[str] = Field(default_factory=list)


class SessionHeld(EventPayload):
    """`penyuluhan_held` and `FGD_held`."""

    session_id: str
    campaign_id: str | None = None
    kind: SessionKind
    topic: str
    region_code: str
    held_on: date
    attendance: Attendance
    narasumber_present_ids: list[str] = Field(default_factory=list)
    summary: str = ""
    pilot_desa_codes: list[str] = Field(default_factory=list)
    followups: list[Followup] = Field(default_factory=list)
    attendees: list[Attendee] = Field(
        default_factory=list, description="the daftar hadir, when one was filed (names only, no NIK)"
    )


class FollowupAssigned(EventPayload):
    followup_id: str
    session_id: str
    campaign_id: str | None = None
    action: str
    owner_id: str
    due_on: date


class FollowupCompleted(EventPayload):
    followup_id: str
    session_id: str
    completed_on: date
    note: str | None = None
    campaign_id: str | None = None
    action: str | None = None
    owner_id: str | None = None


class FollowupOverdue(FollowupAssigned):
    """The follow-up as assigned, passed its due date still open."""


# Corrections: an amended report, a changed or cancelled campaign, a follow-up dropped by an amendment ----------


class SessionReportAmended(SessionHeld):
    """A held session's report corrected: the whole report as it now stands (as `penyuluhan_held`/`FGD_held`
    carry it; `followups` are the session's follow-ups after the amendment) and why."""

    reason: str = Field(description="why the report was corrected")
    amended_by: str = Field(description="who corrected it (the operator's `sub`)")


class CampaignUpdated(CampaignPlanned):
    """A planned campaign changed: its whole new state (as `campaign_planned` carries it)."""

    changed: list[str] = Field(default_factory=list, description="the fields the change set, e.g. end_date")
    updated_by: str = Field(description="who changed it (the operator's `sub`)")


class CampaignCancelled(EventPayload):
    campaign_id: str
    name: str
    region_code: str
    reason: str
    cancelled_by: str = Field(description="who cancelled it (the operator's `sub`)")
    cancelled_session_ids: list[str] = Field(
        default_factory=list, description="its scheduled sessions, each cancelled with its own `session_cancelled`"
    )


class FollowupCancelled(FollowupAssigned):
    """An open follow-up an amended report no longer lists: dropped, with the amendment's reason."""

    reason: str
