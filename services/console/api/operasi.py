"""Admin operations: each service's health, queue, dead letters, outbox and timers; reporting's replay. The dead
letters are redriven with `pilar dlq` (the page says how)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from pilar_runtime.auth import Role
from services.console.api.laporan import refused
from services.console.api.pages import SignedIn, checked_form, page, parts, redirect
from services.console.commands import operasi
from services.console.domain.operasi import REPLAY_NAMES
from services.console.gateway import ServiceRefused

router = APIRouter(prefix="/admin/operasi", tags=["admin"])
ADMINS_ONLY = ServiceRefused(403, {"": "Anda tidak berwenang membuka halaman ini."})


@router.get("", summary="Every service's status and the last replay", response_class=HTMLResponse)
async def status_page(request: Request, visit: SignedIn) -> Response:
    assert visit.user is not None
    if visit.user["role"] != Role.ADMIN:
        return refused(request, visit, ADMINS_ONLY)
    gateway = parts(request).gateway
    services = await operasi.statuses(gateway, visit.user)
    replay = await operasi.replay_state(gateway, visit.user)
    started = request.query_params.get("replay") == "dimulai"
    return page(
        request,
        "admin/operasi.html",
        visit,
        services=services,
        replay=replay,
        replay_names=REPLAY_NAMES,
        started=started,
    )


@router.post("/replay", summary="Rebuild reporting's projections from the stored events", response_class=HTMLResponse)
async def start_replay(request: Request, visit: SignedIn) -> Response:
    assert visit.user is not None
    await checked_form(request, visit)
    if visit.user["role"] != Role.ADMIN:
        return refused(request, visit, ADMINS_ONLY)
    try:
        await operasi.start_replay(parts(request).gateway, visit.user)
    except ServiceRefused as exc:
        return refused(request, visit, exc)
    return redirect("/admin/operasi?replay=dimulai")
