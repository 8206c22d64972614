"""A campaign as outreach keeps it: the desa it visits, and the document a plan becomes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pilar_runtime.errors import Unprocessable
from pilar_runtime.regions import Level, checked_region, in_region
from services.outreach.domain.models import CampaignIn, Document
from services.outreach.domain.places import unique

PLANNED, COMPLETED = "planned", "completed"


def campaign_desa(codes: list[str], region: str) -> list[str]:
    """The campaign's desa, each a real desa inside its region and listed once."""
    desa_codes: list[str] = []
    for i, code in enumerate(codes):
        desa = checked_region(code, f"desa_codes[{i}]", Level.DESA)
        if not in_region(desa, region):
            raise Unprocessable(f"desa_codes[{i}]: desa {desa} lies outside the campaign's region {region}")
        if desa in desa_codes:
            raise Unprocessable(f"desa_codes[{i}]: desa {desa} is listed twice")
        desa_codes.append(desa)
    return desa_codes


def new_campaign(body: CampaignIn, region: str, *, campaign_id: str, created_by: str, now: datetime) -> dict[str, Any]:
    """The planned campaign: ``region`` is the checked ``body.region_code``."""
    return {
        "_id": campaign_id,
        "name": body.name,
        "topic": body.topic,
        "region_code": region,
        "start_date": body.start_date.isoformat(),
        "end_date": body.end_date.isoformat(),
        "desa_codes": campaign_desa(body.desa_codes, region),
        "targets": body.targets.model_dump(),
        "max_sessions_per_day": body.max_sessions_per_day,
        "officer_ids": unique(body.officer_ids),
        "narasumber_ids": unique(body.narasumber_ids),
        "officers_per_session": body.officers_per_session,
        "narasumber_per_session": body.narasumber_per_session,
        "status": PLANNED,
        "version": 1,
        "created_by": created_by,
        "created_at": now,
    }


def completed_campaign(campaign: Document, reason: str, totals: Mapping[str, Any]) -> dict[str, Any]:
    """The campaign completed for ``reason`` with its ``totals``, one version on."""
    return {
        **campaign,
        "status": COMPLETED,
        "completed_reason": reason,
        "totals": dict(totals),
        "version": campaign["version"] + 1,
    }
