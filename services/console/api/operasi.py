"""Admin operations: each service's health, queue, outbox and timers; its dead letters, listed and redriven (each
service handles its own again); reporting's replay."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from pilar_runtime.auth import Role
from services.console.api.laporan import refused
from services.console.api.pages import SignedIn, checked_form, page, parts, redirect
from services.console.commands import operasi
from services.console.domain.operasi import REPLAY_NAMES, SERVICES, redrive_outcome
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
    letters = await operasi.dead_letters(gateway, visit.user)
    started = request.query_params.get("replay") == "dimulai"
    redriven = redrive_outcome(request.query_params.get("layanan", ""), dict(request.query_params))
    return page(
        request,
        "admin/operasi.html",
        visit,
        services=services,
        replay=replay,
        replay_names=REPLAY_NAMES,
        started=started,
        dead_letters=letters,
        redriven=redriven,
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


@router.post(
    "/surat-mati/{service}/kirim-ulang",
    summary="Have a service handle one of its dead letters (or all) again",
    response_class=HTMLResponse,
)
async def redrive(request: Request, service: str, visit: SignedIn) -> Response:
    assert visit.user is not None
    form = await checked_form(request, visit)
    if visit.user["role"] != Role.ADMIN:
        return refused(request, visit, ADMINS_ONLY)
    if service not in SERVICES:
        return refused(request, visit, ServiceRefused(404, {"": "Layanan tidak dikenal."}))
    try:
        counts = await operasi.redrive(parts(request).gateway, visit.user, service, form.get("message_id") or None)
    except ServiceRefused as exc:
        return refused(request, visit, exc)
    outcome = {"layanan": service, **{key: str(counts.get(key, 0)) for key in ("handled", "failed", "not_found")}}
    return redirect(f"/admin/operasi?{urlencode(outcome)}#surat-mati-{service}")
