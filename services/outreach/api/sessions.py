"""Sessions: place, list, read, move, cancel, report as held, correct a held report."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from contracts.events.common import SessionKind
from pilar_runtime.api import PageDep
from pilar_runtime.auth import CallerDep, WriterDep
from pilar_runtime.models import Page, public
from pilar_runtime.service import RuntimeDep
from services.outreach import store
from services.outreach.api.schemas import CancelIn, Session
from services.outreach.commands import sessions
from services.outreach.domain.models import ReportAmendmentIn, ReportIn, SessionIn, SessionPatch

router = APIRouter(prefix="/sessions", tags=["sessions"])


@router.post(
    "",
    status_code=201,
    summary="Place a penyuluhan or FGD session (rules checked: 409 names the rule; `warnings` name a cuti bersama)",
    response_model=Session,
    response_model_exclude_unset=True,
)
async def create_session(body: SessionIn, caller: WriterDep, runtime: RuntimeDep) -> dict[str, Any]:
    return public(await sessions.create_session(runtime.mongo, body, caller))


@router.get("", response_model=Page[Session], response_model_exclude_unset=True, summary="Sessions in your region")
async def list_sessions(
    caller: CallerDep,
    runtime: RuntimeDep,
    page: PageDep,
    campaign_id: str | None = None,
    status: Annotated[str | None, Query(pattern="^(scheduled|held|cancelled)$")] = None,
    kind: SessionKind | None = None,
    region: Annotated[str | None, Query(description="a region code: only sessions inside it")] = None,
) -> dict[str, Any]:
    return await store.sessions_page(
        runtime.mongo,
        caller.list_filter(region),
        page,
        campaign_id=campaign_id,
        status=status,
        kind=kind.value if kind else None,
    )


@router.get("/{session_id}", summary="One session", response_model=Session, response_model_exclude_unset=True)
async def get_session(session_id: str, caller: CallerDep, runtime: RuntimeDep) -> dict[str, Any]:
    return public(await sessions.read_session(runtime.mongo, session_id, caller))


@router.patch(
    "/{session_id}",
    summary="Move or change a scheduled session (→ session_rescheduled)",
    response_model=Session,
    response_model_exclude_unset=True,
)
async def move_session(session_id: str, body: SessionPatch, caller: WriterDep, runtime: RuntimeDep) -> dict[str, Any]:
    return public(await sessions.move_session(runtime.mongo, session_id, body, caller))


@router.post(
    "/{session_id}/cancel",
    summary="Cancel a scheduled session (→ session_cancelled)",
    response_model=Session,
    response_model_exclude_unset=True,
)
async def cancel_session(
    session_id: str, caller: WriterDep, runtime: RuntimeDep, body: CancelIn | None = None
) -> dict[str, Any]:
    reason = body.reason if body else None
    return public(await sessions.cancel_session(runtime.mongo, session_id, reason, caller))


@router.post(
    "/{session_id}/report",
    summary="Report a held session (→ penyuluhan_held / FGD_held, followup_assigned)",
    response_model=Session,
    response_model_exclude_unset=True,
)
async def report_session(session_id: str, body: ReportIn, caller: WriterDep, runtime: RuntimeDep) -> dict[str, Any]:
    return public(await sessions.report_session(runtime.mongo, session_id, body, caller))


@router.put(
    "/{session_id}/report",
    summary="Correct a held session's report: the whole report and a reason (→ session_report_amended; "
    "followup_assigned / followup_cancelled as its follow-ups change)",
    response_model=Session,
    response_model_exclude_unset=True,
)
async def amend_report(
    session_id: str, body: ReportAmendmentIn, caller: WriterDep, runtime: RuntimeDep
) -> dict[str, Any]:
    return public(await sessions.amend_report(runtime.mongo, session_id, body, caller))
