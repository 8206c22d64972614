"""Sesi: the region's sessions, one session (move it or cancel it, the scheduling rule's refusal next to the
field), and the report of a held session."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.console.api.kampanye import refusal
from services.console.api.pages import SignedIn, checked_form, page, parts, redirect
from services.console.commands import kampanye
from services.console.commands.signin import Visit
from services.console.domain.kampanye import (
    CANCEL_FIELDS,
    CATEGORIES,
    MOVE_FIELDS,
    FormInvalid,
    followup_rows,
    move_body,
    on_fields,
    region_name,
    report_body,
    report_fields,
    report_values,
)
from services.console.gateway import ServiceRefused

router = APIRouter(prefix="/sesi", tags=["sesi"])
REPORT_LISTS = ("narasumber_present_ids", "pilot_desa_codes")


@router.get("", summary="The sessions of the user's region, by state", response_class=HTMLResponse)
async def list_sessions(request: Request, visit: SignedIn) -> Response:
    assert visit.user is not None
    shown = request.query_params.get("status", "scheduled")
    shown = shown if shown in ("scheduled", "held", "cancelled") else "scheduled"
    try:
        rows = await kampanye.sessions(parts(request).gateway, visit.user, shown)
    except ServiceRefused as exc:
        return refusal(request, visit, exc)
    return page(request, "kampanye/sessions.html", visit, rows=rows, shown=shown)


async def _session_page(
    request: Request, visit: Visit, session_id: str, status: int = 200, **context: Any
) -> HTMLResponse:
    assert visit.user is not None
    try:
        found, row = await kampanye.session(parts(request).gateway, visit.user, session_id)
    except ServiceRefused as exc:
        return refusal(request, visit, exc)
    return page(request, "kampanye/session.html", visit, status, session=found, row=row, **context)


@router.get("/{session_id}", summary="One session: move or cancel it", response_class=HTMLResponse)
async def session_page(request: Request, visit: SignedIn, session_id: str) -> Response:
    return await _session_page(request, visit, session_id)


@router.post("/{session_id}/pindah", summary="Move a session to another day or time", response_class=HTMLResponse)
async def move(request: Request, visit: SignedIn, session_id: str) -> Response:
    assert visit.user is not None
    form = await checked_form(request, visit)
    try:
        await kampanye.move(parts(request).gateway, visit.user, session_id, move_body(form))
    except FormInvalid as exc:
        return await _session_page(request, visit, session_id, 422, errors=exc.errors, values=form)
    except ServiceRefused as exc:
        errors = on_fields(exc.errors, MOVE_FIELDS)
        return await _session_page(request, visit, session_id, exc.status, errors=errors, values=form)
    return redirect(f"/sesi/{session_id}?dipindah=1")


@router.post("/{session_id}/batal", summary="Cancel a scheduled session", response_class=HTMLResponse)
async def cancel(request: Request, visit: SignedIn, session_id: str) -> Response:
    assert visit.user is not None
    form = await checked_form(request, visit)
    try:
        await kampanye.cancel(parts(request).gateway, visit.user, session_id, form.get("alasan", "").strip())
    except ServiceRefused as exc:
        errors = on_fields(exc.errors, CANCEL_FIELDS)
        return await _session_page(request, visit, session_id, exc.status, errors=errors, values=form)
    return redirect(f"/sesi/{session_id}")


async def _report_page(
    request: Request, visit: Visit, session_id: str, status: int = 200, **context: Any
) -> HTMLResponse:
    assert visit.user is not None
    gateway = parts(request).gateway
    try:
        found, row = await kampanye.session(gateway, visit.user, session_id)
        pilot = [found["region_code"]]
        if found.get("campaign_id"):
            campaign, _ = await kampanye.campaign(gateway, visit.user, found["campaign_id"])
            pilot = campaign["desa_codes"]
    except ServiceRefused as exc:
        return refusal(request, visit, exc)
    owners = sorted(await kampanye.workers(gateway, visit.user), key=lambda w: w["name"])
    if found["status"] == "held" and "values" not in context:
        values, picked = report_values(found, await kampanye.session_followups(gateway, visit.user, session_id))
        context |= {"values": values, "picked": picked}
    return page(
        request,
        "kampanye/report.html",
        visit,
        status,
        session=found,
        row=row,
        categories=CATEGORIES,
        rows=followup_rows(context.get("values", {})),
        owners=owners,
        pilot=[(code, region_name(code)) for code in pilot],
        **context,
    )


@router.get(
    "/{session_id}/laporan",
    summary="The report form of a session held, or of a held report to correct",
    response_class=HTMLResponse,
)
async def report_page(request: Request, visit: SignedIn, session_id: str) -> Response:
    return await _report_page(request, visit, session_id)


@router.post(
    "/{session_id}/laporan",
    summary="Report the session as held, or correct a held session's report with a reason",
    response_class=HTMLResponse,
)
async def report(request: Request, visit: SignedIn, session_id: str) -> Response:
    assert visit.user is not None
    form = await checked_form(request, visit)
    posted = await request.form()
    lists = {name: [str(v) for v in posted.getlist(name)] for name in REPORT_LISTS}
    again = {"values": form, "picked": {v for values in lists.values() for v in values}}
    amending = form.get("perbaikan") == "1"
    try:
        body = report_body(form, lists, amending=amending)
        await (kampanye.amend if amending else kampanye.report)(parts(request).gateway, visit.user, session_id, body)
    except FormInvalid as exc:
        return await _report_page(request, visit, session_id, 422, errors=exc.errors, **again)
    except ServiceRefused as exc:
        return await _report_page(request, visit, session_id, exc.status, errors=report_fields(exc.errors), **again)
    return redirect(f"/sesi/{session_id}?{'diperbaiki' if amending else 'dilaporkan'}=1")
