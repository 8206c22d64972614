"""Tindak lanjut: the follow-ups of the region by state (berjalan, terlambat, selesai), and mark one done."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.console.api.kampanye import refusal
from services.console.api.pages import SignedIn, checked_form, page, parts, redirect
from services.console.commands import kampanye
from services.console.commands.signin import Visit
from services.console.domain.kampanye import FOLLOWUP_STATES
from services.console.gateway import ServiceRefused

router = APIRouter(prefix="/tindak-lanjut", tags=["tindak lanjut"])


async def _list_page(request: Request, visit: Visit, state: str, status: int = 200, **context: object) -> Response:
    assert visit.user is not None
    state = state if state in FOLLOWUP_STATES else "berjalan"
    gateway = parts(request).gateway
    try:
        found, names = await asyncio.gather(
            kampanye.followups(gateway, visit.user, FOLLOWUP_STATES[state][0]), kampanye.names(gateway, visit.user)
        )
    except ServiceRefused as exc:
        return refusal(request, visit, exc)
    tabs = [(key, label) for key, (_, label) in FOLLOWUP_STATES.items()]
    return page(
        request,
        "kampanye/followups.html",
        visit,
        status,
        followups=found,
        names=names,
        state=state,
        tabs=tabs,
        **context,
    )


@router.get("", summary="Follow-ups by state", response_class=HTMLResponse)
async def list_followups(request: Request, visit: SignedIn) -> Response:
    return await _list_page(request, visit, request.query_params.get("status", "berjalan"))


@router.post("/{followup_id}/selesai", summary="Mark a follow-up done", response_class=HTMLResponse)
async def complete(request: Request, visit: SignedIn, followup_id: str) -> Response:
    assert visit.user is not None
    form = await checked_form(request, visit)
    state = form.get("dari", "berjalan")
    try:
        await kampanye.complete(parts(request).gateway, visit.user, followup_id)
    except ServiceRefused as exc:
        if exc.status in (403, 404):
            return refusal(request, visit, exc)
        return await _list_page(
            request, visit, state, exc.status, errors={followup_id: next(iter(exc.errors.values()))}
        )
    return redirect(f"/tindak-lanjut?status={state}&selesai=1")
