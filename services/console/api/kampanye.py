"""Kampanye: the region's campaigns, plan one (kecamatan → desa from the Kemendagri tree), preview its
auto-schedule and confirm it (no session, hence no invitation, before that), and the week or month calendar."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from pilar_runtime.localtime import local_today, zone_of
from services.console.api.pages import TEMPLATES, SignedIn, checked_form, page, parts, redirect
from services.console.commands import kampanye
from services.console.commands.signin import Visit
from services.console.domain.formats import hari
from services.console.domain.kampanye import (
    PLAN_FIELDS,
    STATUS_LABELS,
    FormInvalid,
    campaign_body,
    desa_of,
    kecamatan_of,
    on_fields,
    region_name,
    split_workers,
)
from services.console.domain.messages import GENERAL
from services.console.gateway import ServiceRefused

router = APIRouter(prefix="/kampanye", tags=["kampanye"])
LISTS = ("desa_codes", "officer_ids", "narasumber_ids")
# The services answer dates as ISO text and regions as Kemendagri codes; these pages show both in Indonesian.
TEMPLATES.env.filters.update(tanggal_iso=lambda text: hari(date.fromisoformat(str(text)[:10])), wilayah=region_name)
TEMPLATES.env.globals.update(status_labels=STATUS_LABELS)


def refusal(request: Request, visit: Visit, exc: ServiceRefused) -> HTMLResponse:
    """A service's refusal of a page (403 outside the region, 404, unavailable) as an Indonesian page."""
    message = exc.errors.get(GENERAL) or next(iter(exc.errors.values()), "Permintaan ditolak.")
    return page(request, "error.html", visit, exc.status, message=message)


@router.get("", summary="The campaigns of the user's region", response_class=HTMLResponse)
async def list_campaigns(request: Request, visit: SignedIn) -> Response:
    assert visit.user is not None
    try:
        found = await kampanye.campaigns(parts(request).gateway, visit.user)
    except ServiceRefused as exc:
        return refusal(request, visit, exc)
    return page(request, "kampanye/list.html", visit, campaigns=found)


async def _plan_page(
    request: Request, visit: Visit, kecamatan: list[str], status: int = 200, **context: object
) -> HTMLResponse:
    assert visit.user is not None
    region = visit.user["region"] or ""
    officers, narasumber = split_workers(await kampanye.workers(parts(request).gateway, visit.user))
    return page(
        request,
        "kampanye/new.html",
        visit,
        status,
        kecamatan_choices=kecamatan_of(region),
        chosen=desa_of(kecamatan, region),
        officers=officers,
        narasumber=narasumber,
        **context,
    )


@router.get(
    "/baru", summary="Plan a campaign: choose kecamatan, then desa, period and people", response_class=HTMLResponse
)
async def new_campaign(request: Request, visit: SignedIn) -> Response:
    return await _plan_page(request, visit, request.query_params.getlist("kecamatan"))


@router.post("/baru", summary="Plan the campaign (nothing is scheduled yet)", response_class=HTMLResponse)
async def plan_campaign(request: Request, visit: SignedIn) -> Response:
    assert visit.user is not None
    form = await checked_form(request, visit)
    posted = await request.form()
    lists = {name: [str(v) for v in posted.getlist(name)] for name in LISTS}
    kecamatan = [str(v) for v in posted.getlist("kecamatan")]
    again = {"values": form, "picked": {v for values in lists.values() for v in values}}
    try:
        found = await kampanye.plan(parts(request).gateway, visit.user, campaign_body(form, lists))
    except FormInvalid as exc:
        return await _plan_page(request, visit, kecamatan, 422, errors=exc.errors, **again)
    except ServiceRefused as exc:
        errors = on_fields(exc.errors, PLAN_FIELDS)
        return await _plan_page(request, visit, kecamatan, exc.status, errors=errors, **again)
    return redirect(f"/kampanye/{found['id']}")


@router.get("/kalender", summary="The sessions of a week or a month, day by day", response_class=HTMLResponse)
async def sessions_calendar(request: Request, visit: SignedIn) -> Response:
    assert visit.user is not None
    try:
        anchor = date.fromisoformat(request.query_params.get("tanggal", ""))
    except ValueError:
        anchor = local_today(zone_of(visit.user["region"] or ""))
    view = request.query_params.get("tampilan", "minggu")
    try:
        grid = await kampanye.month_or_week(parts(request).gateway, visit.user, view, anchor)
    except ServiceRefused as exc:
        return refusal(request, visit, exc)
    return page(request, "kampanye/calendar.html", visit, grid=grid)


@router.get("/{campaign_id}", summary="One campaign and its sessions", response_class=HTMLResponse)
async def campaign_page(request: Request, visit: SignedIn, campaign_id: str) -> Response:
    assert visit.user is not None
    try:
        found, rows = await kampanye.campaign(parts(request).gateway, visit.user, campaign_id)
    except ServiceRefused as exc:
        return refusal(request, visit, exc)
    placed = request.query_params.get("terjadwal")
    return page(request, "kampanye/campaign.html", visit, campaign=found, rows=rows, placed=placed)


@router.get("/{campaign_id}/pratinjau", summary="The auto-schedule's preview, to confirm", response_class=HTMLResponse)
async def preview(request: Request, visit: SignedIn, campaign_id: str) -> Response:
    assert visit.user is not None
    gateway = parts(request).gateway
    try:
        found, rows = await kampanye.campaign(gateway, visit.user, campaign_id)
    except ServiceRefused as exc:
        return refusal(request, visit, exc)
    try:
        planned = await kampanye.preview(gateway, visit.user, found)
    except ServiceRefused as exc:
        return page(request, "kampanye/campaign.html", visit, exc.status, campaign=found, rows=rows, errors=exc.errors)
    return page(request, "kampanye/preview.html", visit, campaign=found, planned=planned)


@router.post(
    "/{campaign_id}/jadwal", summary="Confirm the schedule: the sessions are placed", response_class=HTMLResponse
)
async def confirm(request: Request, visit: SignedIn, campaign_id: str) -> Response:
    assert visit.user is not None
    await checked_form(request, visit)
    gateway = parts(request).gateway
    try:
        placed = await kampanye.confirm(gateway, visit.user, campaign_id)
    except ServiceRefused as exc:
        try:
            found, rows = await kampanye.campaign(gateway, visit.user, campaign_id)
        except ServiceRefused:
            return refusal(request, visit, exc)
        return page(request, "kampanye/campaign.html", visit, exc.status, campaign=found, rows=rows, errors=exc.errors)
    return redirect(f"/kampanye/{campaign_id}?terjadwal={placed}")
