"""GET /summary and GET /campaigns/{id}/progress: the projections as district systems read them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from pilar_runtime.auth import CallerDep
from pilar_runtime.service import RuntimeDep
from services.reporting.api.scope import region_of, visible_campaign
from services.reporting.domain.projection import INSTITUTIONS, SESSIONS
from services.reporting.domain.summary import campaign_progress, summary
from services.reporting.reports.jobs import region_name
from services.reporting.store import counts_of

router = APIRouter(tags=["summary"])


@router.get("/summary", summary="Roll-up of a region (desa, kecamatan, kabupaten, provinsi; default: yours)")
async def get_summary(
    runtime: RuntimeDep,
    caller: CallerDep,
    region: Annotated[str | None, Query(description="Kemendagri code; default: the caller's region")] = None,
) -> dict[str, Any]:
    code = region_of(caller, region)
    out = summary(code, await counts_of(runtime.mongo.db, code))
    out["name"] = region_name(code) if code else "Indonesia"
    return out


@router.get("/campaigns/{campaign_id}/progress", summary="A campaign's sessions, participants and targets")
async def get_progress(campaign_id: str, runtime: RuntimeDep, caller: CallerDep) -> dict[str, Any]:
    db = runtime.mongo.db
    campaign = await visible_campaign(db, caller, campaign_id)
    within = {"regions": campaign["region_code"]}
    sessions = await db[SESSIONS].find({"campaign_id": campaign_id, **within}).to_list(None)
    institutions = (
        await db[INSTITUTIONS]
        .find(
            {
                "$or": [{"campaign_id": campaign_id}, {"region_code": {"$in": campaign.get("desa_codes", [])}}],
                **within,
            }
        )
        .to_list(None)
    )
    return campaign_progress(campaign, sessions, institutions)
