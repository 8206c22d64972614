"""Shapes only the HTTP API knows: the cancel body, and the answers (stored documents as clients read them).

Answers allow fields they do not name, so a stored document reaches clients whole; optional fields appear only
when the document has them (the routes answer with ``response_model_exclude_unset``)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from contracts.events.common import SessionKind
from pilar_runtime.models import Command, Timestamp, View


class CancelIn(Command):
    reason: str | None = Field(default=None, max_length=1000)


class Targets(View):
    new_wksbm: int | None = None
    new_pokja: int | None = None
    participants_per_session: int | None = None


class DesaTotals(View):
    sessions_held: int
    participants: int


class CampaignTotals(View):
    sessions_planned: int
    sessions_held: int
    sessions_cancelled: int
    participants_reached: int
    per_desa: dict[str, DesaTotals]
    participants_by_category: dict[str, int]


class Campaign(View):
    id: str
    name: str
    topic: str
    region_code: str
    start_date: date
    end_date: date
    desa_codes: list[str]
    targets: Targets
    max_sessions_per_day: int
    officer_ids: list[str]
    narasumber_ids: list[str]
    officers_per_session: int
    narasumber_per_session: int
    cuti_bersama_blocks: bool | None = Field(default=None, description="sessions on cuti bersama are refused")
    status: Literal["planned", "completed", "cancelled"]
    version: int
    created_by: str
    created_at: Timestamp
    updated_by: str | None = Field(default=None, description="who last changed or cancelled it")
    updated_at: Timestamp | None = None
    cancel_reason: str | None = None
    cancelled_by: str | None = None
    cancelled_at: Timestamp | None = None
    completed_reason: Literal["all_sessions_done", "period_ended"] | None = None
    totals: CampaignTotals | None = Field(default=None, description="once the campaign is completed")


class Attendance(View):
    total: int
    by_category: dict[str, int]


class Attendee(View):
    name: str
    category: str
    institution: str | None
    desa_code: str | None


class Amendment(View):
    reason: str
    amended_by: str
    amended_at: Timestamp


class HeldReport(View):
    held_on: date
    attendance: Attendance
    narasumber_present_ids: list[str]
    summary: str
    pilot_desa_codes: list[str]
    reported_by: str
    attendees: list[Attendee] = Field(default_factory=list, description="the daftar hadir, when one was filed")
    amendment: Amendment | None = Field(default=None, description="the last correction, once amended")


class PlacementWarning(View):
    rule: str = Field(description="e.g. cuti_bersama")
    message: str = Field(description="in Indonesian, naming the day")


class Session(View):
    id: str
    kind: SessionKind
    campaign_id: str | None
    topic: str
    region_code: str
    venue: str
    starts_at: Timestamp
    ends_at: Timestamp
    officer_ids: list[str]
    narasumber_ids: list[str]
    expected_participants: int
    expected_by_category: dict[str, int]
    status: Literal["scheduled", "held", "cancelled"]
    version: int
    created_by: str
    created_at: Timestamp
    updated_by: str | None = Field(default=None, description="who last cancelled it or amended its report")
    updated_at: Timestamp | None = None
    auto_scheduled: bool | None = Field(default=None, description="placed by the auto-scheduler")
    warnings: list[PlacementWarning] | None = Field(
        default=None, description="what its placement should avoid but may do, e.g. a cuti bersama"
    )
    cancel_reason: str | None = None
    report: HeldReport | None = Field(default=None, description="once the session is held")


class Followup(View):
    id: str
    session_id: str
    campaign_id: str | None
    region_code: str
    action: str
    owner_id: str
    due_on: date
    status: Literal["open", "done", "cancelled"]
    overdue: bool
    version: int
    created_at: Timestamp
    completed_on: date | None = None
    completed_by: str | None = None
    note: str | None = None
    cancel_reason: str | None = Field(default=None, description="an amended report no longer listed it")
    cancelled_at: Timestamp | None = None
