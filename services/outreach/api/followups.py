"""Follow-ups (tindak lanjut) of held sessions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from pilar_runtime.api import PageDep, page_of, public
from pilar_runtime.auth import CallerDep, WriterDep
from pilar_runtime.service import RuntimeDep
from services.outreach import commands
from services.outreach.api.listing import region_scope
from services.outreach.domain.models import CompleteFollowupIn
from services.outreach.store import FOLLOWUPS

router = APIRouter(prefix="/followups", tags=["followups"])


@router.get("", summary="Follow-ups in your region")
async def list_followups(
    caller: CallerDep,
    runtime: RuntimeDep,
    page: PageDep,
    session_id: str | None = None,
    campaign_id: str | None = None,
    owner_id: str | None = None,
    status: Annotated[str | None, Query(pattern="^(open|done)$")] = None,
    overdue: bool | None = None,
    region: Annotated[str | None, Query(description="a region code: only follow-ups inside it")] = None,
) -> dict[str, Any]:
    query = region_scope(caller, region)
    filters = {"session_id": session_id, "campaign_id": campaign_id, "owner_id": owner_id, "status": status}
    query.update({k: v for k, v in filters.items() if v is not None})
    if overdue is not None:
        query["overdue"] = overdue
    return await page_of(runtime.mongo.db[FOLLOWUPS], query, page, sort=[("due_on", 1), ("_id", 1)])


@router.post("/{followup_id}/complete", summary="Mark a follow-up done (→ followup_completed)")
async def complete_followup(
    followup_id: str, caller: WriterDep, runtime: RuntimeDep, body: CompleteFollowupIn | None = None
) -> dict[str, Any]:
    return public(await commands.complete_followup(runtime.mongo, followup_id, body or CompleteFollowupIn(), caller))
