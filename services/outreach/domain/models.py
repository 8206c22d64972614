"""What the commands take: campaigns, sessions, reports and follow-ups as users give them. Unknown fields are
refused; numbers are bounded; times without an offset are wall-clock times of the session's region (WIB, WITA or
WIT by province), turned into UTC once the region is known (``domain/sessions.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import Field, model_validator

from contracts.events.common import ParticipantCategory, SessionKind
from pilar_runtime.models import Command
from services.outreach.domain.attendance import attendance_problem

# A stored campaign, session or follow-up as the rules read it.
Document = Mapping[str, Any]

LOCAL_TIME = "ISO 8601; without an offset it is the session region's local time (WIB, WITA or WIT)"
WorkerId = Annotated[str, Field(min_length=1, max_length=100)]
Count = Annotated[int, Field(ge=0, le=1_000_000)]


class CampaignTargetsIn(Command):
    new_wksbm: Count | None = None
    new_pokja: Count | None = None
    participants_per_session: Count | None = None


class CampaignIn(Command):
    name: str = Field(min_length=1, max_length=200)
    topic: str = Field(min_length=1, max_length=200, description="e.g. penumbuhan WKSBM; pencegahan NAPZA")
    region_code: str = Field(description="the kabupaten or kecamatan of the campaign")
    start_date: date
    end_date: date
    desa_codes: list[str] = Field(min_length=1, max_length=5000, description="the desa to visit")
    targets: CampaignTargetsIn = Field(default_factory=CampaignTargetsIn)
    max_sessions_per_day: int = Field(ge=1, le=200)
    officer_ids: list[WorkerId] = Field(default_factory=list, max_length=2000)
    narasumber_ids: list[WorkerId] = Field(default_factory=list, max_length=2000)
    officers_per_session: int = Field(default=1, ge=1, le=20)
    narasumber_per_session: int = Field(default=1, ge=0, le=20)
    cuti_bersama_blocks: bool = Field(
        default=False, description="refuse sessions on cuti bersama (409 `cuti_bersama`) instead of warning"
    )

    @model_validator(mode="after")
    def _period(self) -> CampaignIn:
        if self.end_date < self.start_date:
            raise ValueError(f"end_date {self.end_date} is before start_date {self.start_date}")
        if (self.end_date - self.start_date).days > 366:
            raise ValueError("a campaign period lasts at most a year")
        return self


class SessionIn(Command):
    kind: SessionKind
    campaign_id: str | None = Field(default=None, max_length=100, description="absent for a stand-alone FGD")
    topic: str | None = Field(default=None, min_length=1, max_length=200, description="defaults to the campaign's")
    region_code: str = Field(description="the desa (an FGD may also sit at kecamatan or kabupaten level)")
    venue: str = Field(min_length=1, max_length=300)
    starts_at: datetime = Field(description=LOCAL_TIME)
    ends_at: datetime = Field(description=LOCAL_TIME)
    officer_ids: list[WorkerId] = Field(min_length=1, max_length=50)
    narasumber_ids: list[WorkerId] = Field(default_factory=list, max_length=50)
    expected_participants: Count | None = None
    expected_by_category: dict[ParticipantCategory, Count] = Field(default_factory=dict)


class SessionPatch(Command):
    topic: str | None = Field(default=None, min_length=1, max_length=200)
    region_code: str | None = None
    venue: str | None = Field(default=None, min_length=1, max_length=300)
    starts_at: datetime | None = Field(default=None, description=LOCAL_TIME)
    ends_at: datetime | None = Field(default=None, description=LOCAL_TIME)
    officer_ids: list[WorkerId] | None = Field(default=None, min_length=1, max_length=50)
    narasumber_ids: list[WorkerId] | None = Field(default=None, max_length=50)
    expected_participants: Count | None = None
    expected_by_category: dict[ParticipantCategory, Count] | None = None


class AttendanceIn(Command):
    total: int = Field(ge=0, le=1_000_000)
    by_category: dict[ParticipantCategory, Annotated[int, Field(ge=0, le=1_000_000)]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _adds_up(self) -> AttendanceIn:
        problem = attendance_problem(self.total, {k.value: v for k, v in self.by_category.items()})
        if problem:
            raise ValueError(problem)
        return self


class FollowupIn(Command):
    action: str = Field(min_length=1, max_length=500)
    owner_id: WorkerId
    due_on: date


class OutcomesIn(Command):
    pilot_desa_codes: list[str] = Field(default_factory=list, max_length=500)
    followups: list[FollowupIn] = Field(default_factory=list, max_length=100)


class AttendeeIn(Command):
    """A line of the daftar hadir. Names only: a NIK or phone number has no field here and is refused."""

    name: str = Field(min_length=1, max_length=200)
    category: ParticipantCategory
    institution: str | None = Field(default=None, min_length=1, max_length=200, description="lembaga / instansi")
    desa_code: str | None = Field(default=None, description="the attendee's desa (Kemendagri code)")


class ReportIn(Command):
    held_on: date
    attendance: AttendanceIn
    attendees: list[AttendeeIn] = Field(
        default_factory=list, max_length=5000, description="the daftar hadir (optional): who signed, in order"
    )
    narasumber_present_ids: list[WorkerId] = Field(default_factory=list, max_length=50)
    summary: str = Field(default="", max_length=20_000)
    outcomes: OutcomesIn = Field(default_factory=OutcomesIn)


class CompleteFollowupIn(Command):
    completed_on: date | None = Field(default=None, description="defaults to today in the follow-up's local time")
    note: str | None = Field(default=None, max_length=2000)


class ReportAmendmentIn(ReportIn):
    """The whole corrected report, and why it was corrected."""

    reason: str = Field(min_length=1, max_length=1000, description="why the report is corrected")


class CampaignPatch(Command):
    """What may change in a planned campaign: its name and topic, period, desa, people and targets (not its
    region). A field left out (or null) stays as it is; ``targets`` replaces the targets whole."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    topic: str | None = Field(default=None, min_length=1, max_length=200)
    start_date: date | None = None
    end_date: date | None = None
    desa_codes: list[str] | None = Field(default=None, min_length=1, max_length=5000)
    targets: CampaignTargetsIn | None = None
    max_sessions_per_day: int | None = Field(default=None, ge=1, le=200)
    officer_ids: list[WorkerId] | None = Field(default=None, max_length=2000)
    narasumber_ids: list[WorkerId] | None = Field(default=None, max_length=2000)
    officers_per_session: int | None = Field(default=None, ge=1, le=20)
    narasumber_per_session: int | None = Field(default=None, ge=0, le=20)
    cuti_bersama_blocks: bool | None = None


class CampaignCancelIn(Command):
    reason: str = Field(min_length=1, max_length=1000)
