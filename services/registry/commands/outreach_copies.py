"""Outreach's campaigns and sessions, kept as far as formation checks what it cites against them."""

from __future__ import annotations

from pilar_runtime.mongo import UnitOfWork
from services.registry.store import CAMPAIGNS, SESSIONS


async def keep_campaign(uow: UnitOfWork, campaign_id: str, region_code: str, version: int) -> bool:
    """True when the copy changed (an older version than the one kept changes nothing)."""
    return await uow.keep_copy(CAMPAIGNS, campaign_id, {"region_code": region_code}, version)


async def keep_session(
    uow: UnitOfWork, session_id: str, region_code: str, campaign_id: str | None, version: int
) -> bool:
    """True when the copy changed (an older version than the one kept changes nothing)."""
    fields = {"region_code": region_code, "campaign_id": campaign_id}
    return await uow.keep_copy(SESSIONS, session_id, fields, version)
