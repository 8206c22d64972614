"""GET /summary and GET /campaigns/{id}/progress: the projections as district systems read them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from pilar_runtime.auth import CallerDep
from pilar_runtime.service import RuntimeDep
from services.reporting.api.schemas import CampaignProgress, Summary
from services.reporting.api.scope import region_of
from services.reporting.commands.reports import progress_of
from services.reporting.commands.summary import region_summary

router = APIRouter(tags=["summary"])


@router.get(
    "/summary",
    response_model=Summary,
    summary="Roll-up of a region (desa, kecamatan, kabupaten, provinsi; default: yours) and of each region below it",
)
async def get_summary(
    runtime: RuntimeDep,
    caller: CallerDep,
    region: Annotated[str | None, Query(description="Kemendagri code; default: the caller's region")] = None,
) -> dict[str, Any]:
    return await region_summary(runtime.mongo.db, region_of(caller, region))


@router.get(
    "/campaigns/{campaign_id}/progress",
    response_model=CampaignProgress,
    summary="A campaign's sessions, participants and targets (403 outside your region)",
)
async def get_progress(campaign_id: str, runtime: RuntimeDep, caller: CallerDep) -> dict[str, Any]:
    return await progress_of(runtime.mongo.db, caller, campaign_id)
