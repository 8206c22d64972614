"""Events produced by reporting: a report file exists."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from contracts.envelope import EventPayload


class ReportGenerated(EventPayload):
    report_id: str
    kind: str = Field(description="campaign | monthly_district | psks_handover | on_demand kinds")
    region_code: str
    period_start: date | None = None
    period_end: date | None = None
    formats: list[str]
    title: str
    trigger_event_id: str | None = None
    download_path: str = Field(description="path of the download endpoint on the reporting service")
