"""GET /summary and GET /campaigns/{id}/progress: the projections as district systems read them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from pilar_runtime.auth import CallerDep
from pilar_runtime.localtime import local_today, zone_of
from pilar_runtime.service import RuntimeDep
from services.reporting import store
from services.reporting.api.schemas import CampaignProgress, Summary
from services.reporting.api.scope import region_of
from services.reporting.commands.reports import progress_of
from services.reporting.domain.activities import liveliness_view, months_before
from services.reporting.domain.regions import region_name
from services.reporting.domain.summary import pilot_desa, summary

router = APIRouter(tags=["summary"])


@router.get(
    "/summary",
    response_model=Summary,
    summary="Roll-up of a region (desa, kecamatan, kabupaten, provinsi; default: yours)",
)
async def get_summary(
    runtime: RuntimeDep,
    caller: CallerDep,
    region: Annotated[str | None, Query(description="Kemendagri code; default: the caller's region")] = None,
) -> dict[str, Any]:
    code = region_of(caller, region)
    out = summary(code, await store.counts_of(runtime.mongo.db, code))
    out["name"] = region_name(code) if code else "Indonesia"
    cutoff = months_before(local_today(zone_of(code)))
    out["activities"].update(
        liveliness_view(await store.liveliness(runtime.mongo.db, code, cutoff), cutoff, region_name)
    )
    out["pilot_desa"] = pilot_desa(await store.fgds_with_pilots(runtime.mongo.db, code), code, region_name)
    return out


@router.get(
    "/campaigns/{campaign_id}/progress",
    response_model=CampaignProgress,
    summary="A campaign's sessions, participants and targets (403 outside your region)",
)
async def get_progress(campaign_id: str, runtime: RuntimeDep, caller: CallerDep) -> dict[str, Any]:
    return await progress_of(runtime.mongo.db, caller, campaign_id)
