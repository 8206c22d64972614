"""Report jobs: what may be asked for, the job recorded for it, and when a campaign report is ready to build."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from pydantic import Field, model_validator

from pilar_runtime.models import Command
from pilar_runtime.regions import ancestors

KINDS = ("campaign", "psks_handover", "monthly_district", "fgd_minutes", "registry_export")
# Reports of the registry as it stands: a region, no period.
UNDATED = ("registry_export",)
MAX_ATTEMPTS = 5  # with waits of 2, 4, 8, 16 s between them


class ReportUnavailable(Exception):
    """The report can't be built from what reporting knows (e.g. the campaign was never planned)."""


class ReportRefused(Exception):
    """The report must not be built: its subject lies outside the region it was recorded for."""


class ReportRequest(Command):
    kind: str = Field(description=f"one of {', '.join(KINDS)}")
    region_code: str | None = Field(
        None, description="region the report covers; a campaign report always covers its campaign's region"
    )
    period_start: date | None = None
    period_end: date | None = None
    campaign_id: str | None = Field(None, description="for kind `campaign`")
    session_id: str | None = Field(None, max_length=100, description="for kind `fgd_minutes`: the FGD held")

    @model_validator(mode="after")
    def _consistent(self) -> ReportRequest:
        if self.kind not in KINDS:
            raise ValueError(f"kind {self.kind!r} is unknown; use one of {', '.join(KINDS)}")
        if self.kind == "campaign":
            if not self.campaign_id:
                raise ValueError("campaign_id is required for a campaign report")
            return self
        if self.kind == "fgd_minutes":
            if not self.session_id:
                raise ValueError("session_id is required for an fgd_minutes report")
            return self
        if self.kind in UNDATED:
            if self.region_code is None:
                raise ValueError(f"region_code is required for a {self.kind} report")
            if self.period_start is not None or self.period_end is not None:
                raise ValueError(f"a {self.kind} report lists the registry as it stands; it takes no period")
            return self
        if self.region_code is None or self.period_start is None or self.period_end is None:
            raise ValueError(f"region_code, period_start and period_end are required for a {self.kind} report")
        if self.period_end < self.period_start:
            raise ValueError(f"period_end {self.period_end} is before period_start {self.period_start}")
        return self


def campaign_report_id(campaign_id: str) -> str:
    """The id of a campaign's automatic report: one per campaign, whatever redelivers its completion."""
    return f"rpt_campaign_{campaign_id}"


# What makes a built report's job build a new version: pending again, its lease dropped (a build in progress from
# older facts is not recorded as done), its attempts counted afresh.
ANOTHER_VERSION: dict[str, Any] = {
    "status": "pending",
    "error": None,
    "lease_owner": None,
    "lease_until": None,
    "attempts": 0,
}


def job_document(
    report_id: str,
    kind: str,
    region_code: str,
    period_start: date | None,
    period_end: date | None,
    *,
    requested_by: str,
    created_at: datetime,
    trigger_event_id: str | None = None,
    campaign_id: str | None = None,
    session_id: str | None = None,
) -> dict[str, Any]:
    """A pending report job (``status`` pending → done | failed)."""
    return {
        "_id": report_id,
        "kind": kind,
        "title": None,
        "region_code": region_code,
        "regions": ancestors(region_code),
        "period_start": period_start.isoformat() if period_start else None,
        "period_end": period_end.isoformat() if period_end else None,
        "campaign_id": campaign_id,
        **({"session_id": session_id} if session_id else {}),
        "trigger_event_id": trigger_event_id,
        "requested_by": requested_by,
        "created_at": created_at,
        "status": "pending",
        "formats": [],
        "version": 1,
        "lease_until": None,
        "attempts": 0,
    }


def missing_sessions(campaign: Mapping[str, Any], sessions: Sequence[Mapping[str, Any]]) -> int:
    """How many sessions outreach counted at completion that reporting has not seen (yet) in that state."""
    reported = campaign.get("reported_sessions", {})
    held = sum(1 for s in sessions if s.get("status") == "held")
    cancelled = sum(1 for s in sessions if s.get("status") == "cancelled")
    gaps = (
        reported.get("planned", 0) - len(sessions),
        reported.get("held", 0) - held,
        reported.get("cancelled", 0) - cancelled,
    )
    return max(0, *gaps)


def narasumber_ids(campaign: Mapping[str, Any], sessions: Sequence[Mapping[str, Any]]) -> set[str]:
    """Every narasumber a campaign report may name: planned for the campaign or its sessions, or present."""
    found = set(campaign.get("narasumber_ids", []))
    for s in sessions:
        found.update(s.get("narasumber_ids", []), s.get("narasumber_present_ids", []))
    return found
