"""Follow-ups (tindak lanjut) of held sessions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from pilar_runtime.api import PageDep
from pilar_runtime.auth import CallerDep, WriterDep
from pilar_runtime.models import Page, public
from pilar_runtime.service import RuntimeDep
from services.outreach import store
from services.outreach.api.schemas import Followup
from services.outreach.commands import followups
from services.outreach.domain.models import CompleteFollowupIn

router = APIRouter(prefix="/followups", tags=["followups"])


@router.get("", response_model=Page[Followup], response_model_exclude_unset=True, summary="Follow-ups in your region")
async def list_followups(
    caller: CallerDep,
    runtime: RuntimeDep,
    page: PageDep,
    session_id: str | None = None,
    campaign_id: str | None = None,
    owner_id: str | None = None,
    status: Annotated[str | None, Query(pattern="^(open|done|cancelled)$")] = None,
    overdue: bool | None = None,
    region: Annotated[str | None, Query(description="a region code: only follow-ups inside it")] = None,
) -> dict[str, Any]:
    return await store.followups_page(
        runtime.mongo,
        caller.list_filter(region),
        page,
        session_id=session_id,
        campaign_id=campaign_id,
        owner_id=owner_id,
        status=status,
        overdue=overdue,
    )


@router.post(
    "/{followup_id}/complete",
    response_model=Followup,
    response_model_exclude_unset=True,
    summary="Mark a follow-up done (→ followup_completed)",
)
async def complete_followup(
    followup_id: str, caller: WriterDep, runtime: RuntimeDep, body: CompleteFollowupIn | None = None
) -> dict[str, Any]:
    done = await followups.complete_followup(runtime.mongo, followup_id, body or CompleteFollowupIn(), caller)
    return public(done)
