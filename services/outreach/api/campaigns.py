"""Campaigns: plan, list, read, change or cancel while planned, auto-schedule."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from pilar_runtime.api import PageDep
from pilar_runtime.auth import CallerDep, WriterDep
from pilar_runtime.models import Page, public
from pilar_runtime.service import RuntimeDep
from services.outreach import store
from services.outreach.api.schemas import Campaign, Session
from services.outreach.commands import campaigns
from services.outreach.domain.models import CampaignCancelIn, CampaignIn, CampaignPatch

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


@router.post(
    "",
    status_code=201,
    response_model=Campaign,
    response_model_exclude_unset=True,
    summary="Plan an outreach campaign (→ campaign_planned)",
)
async def plan_campaign(body: CampaignIn, caller: WriterDep, runtime: RuntimeDep) -> dict[str, Any]:
    return public(await campaigns.plan_campaign(runtime.mongo, body, caller))


@router.get("", response_model=Page[Campaign], response_model_exclude_unset=True, summary="Campaigns in your region")
async def list_campaigns(
    caller: CallerDep,
    runtime: RuntimeDep,
    page: PageDep,
    status: Annotated[str | None, Query(pattern="^(planned|completed|cancelled)$")] = None,
    region: Annotated[str | None, Query(description="a region code: only campaigns inside it")] = None,
) -> dict[str, Any]:
    return await store.campaigns_page(runtime.mongo, caller.list_filter(region), page, status=status)


@router.get("/{campaign_id}", response_model=Campaign, response_model_exclude_unset=True, summary="One campaign")
async def get_campaign(campaign_id: str, caller: CallerDep, runtime: RuntimeDep) -> dict[str, Any]:
    return public(await campaigns.read_campaign(runtime.mongo, campaign_id, caller))


@router.post(
    "/{campaign_id}/schedule",
    status_code=201,
    response_model=Page[Session],
    response_model_exclude_unset=True,
    summary="Place one session per remaining desa over the period (→ session_scheduled each), or 422 with why not",
)
async def schedule_campaign(campaign_id: str, caller: WriterDep, runtime: RuntimeDep) -> dict[str, Any]:
    created = await campaigns.schedule_campaign(runtime.mongo, campaign_id, caller)
    return {"items": [public(s) for s in created], "total": len(created)}


@router.post(
    "/{campaign_id}/schedule/preview",
    response_model=Page[Session],
    response_model_exclude_unset=True,
    summary="The sessions the auto-scheduler would place, without storing or announcing any (a dry run), or 422 "
    "with why not",
)
async def preview_schedule(campaign_id: str, caller: WriterDep, runtime: RuntimeDep) -> dict[str, Any]:
    planned = await campaigns.schedule_campaign(runtime.mongo, campaign_id, caller, preview=True)
    return {"items": [public(s) for s in planned], "total": len(planned)}


@router.patch(
    "/{campaign_id}",
    response_model=Campaign,
    response_model_exclude_unset=True,
    summary="Change a planned campaign's period, desa, people, targets or cuti bersama setting (→ campaign_updated); "
    "its sessions must keep every rule (409 names the rule and the session)",
)
async def update_campaign(
    campaign_id: str, body: CampaignPatch, caller: WriterDep, runtime: RuntimeDep
) -> dict[str, Any]:
    return public(await campaigns.update_campaign(runtime.mongo, campaign_id, body, caller))


@router.post(
    "/{campaign_id}/cancel",
    response_model=Campaign,
    response_model_exclude_unset=True,
    summary="Cancel a planned campaign and its scheduled sessions (→ session_cancelled each, campaign_cancelled)",
)
async def cancel_campaign(
    campaign_id: str, body: CampaignCancelIn, caller: WriterDep, runtime: RuntimeDep
) -> dict[str, Any]:
    return public(await campaigns.cancel_campaign(runtime.mongo, campaign_id, body.reason, caller))
