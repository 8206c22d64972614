"""Sessions: place, list, read, move, cancel, report as held."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from contracts.events.common import SessionKind
from pilar_runtime.api import PageDep, page_of, public
from pilar_runtime.auth import CallerDep, WriterDep
from pilar_runtime.service import RuntimeDep
from services.outreach import commands
from services.outreach.api.listing import region_scope
from services.outreach.api.schemas import CancelIn
from services.outreach.domain.models import ReportIn, SessionIn, SessionPatch
from services.outreach.store import SESSIONS

router = APIRouter(prefix="/sessions", tags=["sessions"])


@router.post("", status_code=201, summary="Place a penyuluhan or FGD session (rules checked: 409 names the rule)")
async def create_session(body: SessionIn, caller: WriterDep, runtime: RuntimeDep) -> dict[str, Any]:
    return public(await commands.create_session(runtime.mongo, body, caller))


@router.get("", summary="Sessions in your region")
async def list_sessions(
    caller: CallerDep,
    runtime: RuntimeDep,
    page: PageDep,
    campaign_id: str | None = None,
    status: Annotated[str | None, Query(pattern="^(scheduled|held|cancelled)$")] = None,
    kind: SessionKind | None = None,
    region: Annotated[str | None, Query(description="a region code: only sessions inside it")] = None,
) -> dict[str, Any]:
    query = region_scope(caller, region)
    for field, value in (("campaign_id", campaign_id), ("status", status), ("kind", kind.value if kind else None)):
        if value is not None:
            query[field] = value
    return await page_of(runtime.mongo.db[SESSIONS], query, page, sort=[("starts_at", 1), ("_id", 1)])


@router.get("/{session_id}", summary="One session")
async def get_session(session_id: str, caller: CallerDep, runtime: RuntimeDep) -> dict[str, Any]:
    return public(await commands.visible(runtime.mongo, SESSIONS, session_id, caller, "session"))


@router.patch("/{session_id}", summary="Move or change a scheduled session (→ session_rescheduled)")
async def move_session(session_id: str, body: SessionPatch, caller: WriterDep, runtime: RuntimeDep) -> dict[str, Any]:
    return public(await commands.move_session(runtime.mongo, session_id, body, caller))


@router.post("/{session_id}/cancel", summary="Cancel a scheduled session (→ session_cancelled)")
async def cancel_session(
    session_id: str, caller: WriterDep, runtime: RuntimeDep, body: CancelIn | None = None
) -> dict[str, Any]:
    reason = body.reason if body else None
    return public(await commands.cancel_session(runtime.mongo, session_id, reason, caller))


@router.post("/{session_id}/report", summary="Report a held session (→ penyuluhan_held / FGD_held, followup_assigned)")
async def report_session(session_id: str, body: ReportIn, caller: WriterDep, runtime: RuntimeDep) -> dict[str, Any]:
    return public(await commands.report_session(runtime.mongo, session_id, body, caller))
