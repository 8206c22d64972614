"""A campaign as outreach keeps it: the desa it visits, the document a plan becomes, and the changes a planned
campaign may still take (a new period, desa, people or targets; a cancellation)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from pilar_runtime.errors import Unprocessable
from pilar_runtime.regions import Level, checked_region, in_region
from services.outreach.domain.models import CampaignIn, CampaignPatch, Document
from services.outreach.domain.places import unique
from services.outreach.domain.sessions import state_conflict

PLANNED, COMPLETED, CANCELLED = "planned", "completed", "cancelled"


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
        "cuti_bersama_blocks": body.cuti_bersama_blocks,
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


def require_planned(campaign: Document, doing: str) -> None:
    """Only a planned campaign takes sessions, changes or a cancellation; a completed or cancelled one is history."""
    if campaign["status"] != PLANNED:
        raise state_conflict("campaign_open", f"campaign {campaign['_id']} is {campaign['status']}; {doing}")


def changed_campaign(
    before: Document, patch: CampaignPatch, *, by: str, now: datetime
) -> tuple[dict[str, Any], list[str]] | None:
    """The campaign after ``patch`` (its desa checked against its region), one version on, and the fields that
    changed; None when nothing changes."""
    given = {k: v for k, v in patch.model_dump(exclude_unset=True).items() if v is not None}
    if "desa_codes" in given:
        given["desa_codes"] = campaign_desa(given["desa_codes"], before["region_code"])
    for field in ("officer_ids", "narasumber_ids"):
        if field in given:
            given[field] = unique(given[field])
    for field in ("start_date", "end_date"):
        if field in given:
            given[field] = given[field].isoformat()
    if patch.targets is not None:
        given["targets"] = patch.targets.model_dump()
    after = {**before, **given}
    if after["end_date"] < after["start_date"]:
        raise Unprocessable(f"end_date: {after['end_date']} is before start_date {after['start_date']}")
    if (date.fromisoformat(after["end_date"]) - date.fromisoformat(after["start_date"])).days > 366:
        raise Unprocessable("end_date: a campaign period lasts at most a year")
    changed = sorted(k for k in given if given[k] != before.get(k))
    if not changed:
        return None
    return {**after, "updated_by": by, "updated_at": now, "version": before["version"] + 1}, changed


def cancelled_campaign(before: Document, reason: str, *, by: str, now: datetime) -> dict[str, Any]:
    """The campaign cancelled, one version on: it takes no more sessions and never completes."""
    return {
        **before,
        "status": CANCELLED,
        "cancel_reason": reason,
        "cancelled_by": by,
        "cancelled_at": now,
        "updated_by": by,
        "updated_at": now,
        "version": before["version"] + 1,
    }
