"""Notifikasi: the rules and webhooks of the user's region (add, deactivate, activate, delete) and the delivery log
(with a retry of what failed)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.console.api.laporan import refused
from services.console.api.pages import SignedIn, checked_form, page, parts, redirect
from services.console.commands import notifikasi
from services.console.domain.notifikasi import CHANNEL_NAMES, DELIVERY_STATUS_NAMES, state, when
from services.console.gateway import ServiceRefused

router = APIRouter(prefix="/notifikasi", tags=["pages"])
FORMS = {"aturan": "notifikasi/rule.html", "webhook": "notifikasi/webhook.html"}
SHARED: dict[str, Any] = {
    "channel_names": CHANNEL_NAMES,
    "status_names": DELIVERY_STATUS_NAMES,
    "state": state,
    "when": when,
}


@router.get("", summary="Rules and webhooks of the user's region", response_class=HTMLResponse)
async def overview(request: Request, visit: SignedIn) -> Response:
    assert visit.user is not None
    try:
        rules, webhooks = await notifikasi.overview(parts(request).gateway, visit.user)
    except ServiceRefused as exc:
        return refused(request, visit, exc)
    done = request.query_params.get("selesai")
    return page(request, "notifikasi/overview.html", visit, rules=rules, webhooks=webhooks, done=done, **SHARED)


@router.get("/pengiriman", summary="The delivery log of the user's region", response_class=HTMLResponse)
async def delivery_log(request: Request, visit: SignedIn) -> Response:
    assert visit.user is not None
    status = request.query_params.get("status") or None
    asked = request.query_params.get("dari", "0")
    offset = int(asked) if asked.isdigit() else 0
    try:
        found = await notifikasi.deliveries(parts(request).gateway, visit.user, status, offset)
    except ServiceRefused as exc:
        return refused(request, visit, exc)
    return page(
        request,
        "notifikasi/deliveries.html",
        visit,
        deliveries=found["items"],
        total=found["total"],
        status_filter=status or "",
        offset=offset,
        page_size=notifikasi.PAGE_SIZE,
        retried=request.query_params.get("dikirim_ulang"),
        **SHARED,
    )


@router.post("/pengiriman/{delivery_id}/kirim-ulang", summary="Send a delivery again", response_class=HTMLResponse)
async def retry(request: Request, visit: SignedIn, delivery_id: str) -> Response:
    assert visit.user is not None
    await checked_form(request, visit)
    try:
        await notifikasi.retry(parts(request).gateway, visit.user, delivery_id)
    except ServiceRefused as exc:
        return refused(request, visit, exc)
    return redirect(f"/notifikasi/pengiriman?dikirim_ulang={delivery_id}")


@router.get("/{kind}/baru", summary="The form for a new rule or webhook", response_class=HTMLResponse)
async def new_form(request: Request, visit: SignedIn, kind: str) -> Response:
    assert visit.user is not None
    if kind not in FORMS:
        return refused(request, visit, ServiceRefused(404, {"": "Halaman atau data tidak ditemukan."}))
    values = {"region_code": visit.user["region"], "channel": "email"}
    return page(request, FORMS[kind], visit, values=values, **SHARED)


@router.post("/{kind}/baru", summary="Add a rule or register a webhook", response_class=HTMLResponse)
async def create(request: Request, visit: SignedIn, kind: str) -> Response:
    assert visit.user is not None
    form = await checked_form(request, visit)
    if kind not in FORMS:
        return refused(request, visit, ServiceRefused(404, {"": "Halaman atau data tidak ditemukan."}))
    try:
        await notifikasi.create(parts(request).gateway, visit.user, kind, form)
    except ServiceRefused as exc:
        form.pop("secret", None)  # never shown back
        return page(request, FORMS[kind], visit, 422, errors=exc.errors, values=form, **SHARED)
    return redirect(f"/notifikasi?selesai={kind}")


@router.post(
    "/{kind}/{record_id}/{action}",
    summary="Deactivate, activate or delete a rule or webhook",
    response_class=HTMLResponse,
)
async def switch(request: Request, visit: SignedIn, kind: str, record_id: str, action: str) -> Response:
    assert visit.user is not None
    await checked_form(request, visit)
    try:
        await notifikasi.switch(parts(request).gateway, visit.user, kind, record_id, action)
    except ServiceRefused as exc:
        return refused(request, visit, exc)
    return redirect("/notifikasi?selesai=ubah")
