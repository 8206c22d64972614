"""Campaigns: plan, list, read, auto-schedule."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from pilar_runtime.api import PageDep, page_of, public
from pilar_runtime.auth import CallerDep, WriterDep
from pilar_runtime.service import RuntimeDep
from services.outreach import commands
from services.outreach.api.listing import region_scope
from services.outreach.domain.models import CampaignIn
from services.outreach.store import CAMPAIGNS

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


@router.post("", status_code=201, summary="Plan an outreach campaign (→ campaign_planned)")
async def plan_campaign(body: CampaignIn, caller: WriterDep, runtime: RuntimeDep) -> dict[str, Any]:
    return public(await commands.plan_campaign(runtime.mongo, body, caller))


@router.get("", summary="Campaigns in your region")
async def list_campaigns(
    caller: CallerDep,
    runtime: RuntimeDep,
    page: PageDep,
    status: Annotated[str | None, Query(pattern="^(planned|completed)$")] = None,
    region: Annotated[str | None, Query(description="a region code: only campaigns inside it")] = None,
) -> dict[str, Any]:
    query = region_scope(caller, region)
    if status:
        query["status"] = status
    return await page_of(runtime.mongo.db[CAMPAIGNS], query, page, sort=[("start_date", -1), ("_id", 1)])


@router.get("/{campaign_id}", summary="One campaign")
async def get_campaign(campaign_id: str, caller: CallerDep, runtime: RuntimeDep) -> dict[str, Any]:
    return public(await commands.visible(runtime.mongo, CAMPAIGNS, campaign_id, caller, "campaign"))


@router.post(
    "/{campaign_id}/schedule",
    status_code=201,
    summary="Place one session per remaining desa over the period (→ session_scheduled each), or 422 with why not",
)
async def schedule_campaign(campaign_id: str, caller: WriterDep, runtime: RuntimeDep) -> dict[str, Any]:
    created = await commands.schedule_campaign(runtime.mongo, campaign_id, caller)
    return {"items": [public(s) for s in created], "total": len(created)}
