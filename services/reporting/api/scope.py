"""The region a read is about: the one asked for (validated, inside the caller's scope) or the caller's own; and
records asked for by id, which exist for a caller only inside their scope."""

from __future__ import annotations

from typing import Any

from pilar_runtime.auth import Caller
from pilar_runtime.errors import NotFound, Unprocessable
from pilar_runtime.regions import RegionError, require
from services.reporting.domain.projection import CAMPAIGNS
from services.reporting.store import Db


def region_of(caller: Caller, region: str | None, field: str = "region") -> str:
    """'' stands for every region (callers without a region scope)."""
    if region is None or region == "":
        return caller.region
    try:
        code = require(region)
    except RegionError as exc:
        raise Unprocessable(f"{field}: {exc}") from exc
    caller.require_region(code)
    return code


async def visible_campaign(db: Db, caller: Caller, campaign_id: str) -> dict[str, Any]:
    """The campaign if reporting knows it and it lies in the caller's scope; one outside the scope answers 404
    exactly as an unknown one does, so its existence is not revealed."""
    campaign = await db[CAMPAIGNS].find_one({"_id": campaign_id})
    if campaign is None or "start_date" not in campaign or not caller.can_see(str(campaign.get("region_code"))):
        raise NotFound(f"campaign {campaign_id} not found")
    return campaign
