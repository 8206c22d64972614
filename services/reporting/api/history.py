"""GET /<records>/{id}/history: the events that shaped an institution, a session, a campaign or a worker, oldest
first (404 for a record reporting does not know, 403 for one outside your region)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from pilar_runtime.api import PageDep
from pilar_runtime.auth import CallerDep
from pilar_runtime.models import Page
from pilar_runtime.service import RuntimeDep
from services.reporting.api.schemas import HistoryEntry
from services.reporting.commands.history import record_history

router = APIRouter(tags=["history"])


@router.get(
    "/institutions/{institution_id}/history", response_model=Page[HistoryEntry], summary="An institution's history"
)
async def institution_history(
    institution_id: str, runtime: RuntimeDep, caller: CallerDep, page: PageDep
) -> dict[str, Any]:
    return await record_history(runtime.mongo.db, caller, "institution", institution_id, page)


@router.get("/sessions/{session_id}/history", response_model=Page[HistoryEntry], summary="A session's history")
async def session_history(session_id: str, runtime: RuntimeDep, caller: CallerDep, page: PageDep) -> dict[str, Any]:
    return await record_history(runtime.mongo.db, caller, "session", session_id, page)


@router.get("/campaigns/{campaign_id}/history", response_model=Page[HistoryEntry], summary="A campaign's history")
async def campaign_history(campaign_id: str, runtime: RuntimeDep, caller: CallerDep, page: PageDep) -> dict[str, Any]:
    return await record_history(runtime.mongo.db, caller, "campaign", campaign_id, page)


@router.get(
    "/workers/{worker_id}/history",
    response_model=Page[HistoryEntry],
    summary="A worker's history (no phone or e-mail, whoever asks)",
)
async def worker_history(worker_id: str, runtime: RuntimeDep, caller: CallerDep, page: PageDep) -> dict[str, Any]:
    return await record_history(runtime.mongo.db, caller, "worker", worker_id, page)
