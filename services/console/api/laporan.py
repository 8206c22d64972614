"""Laporan: the reports of the user's region — list, request (campaign, monthly, PSKS handover), one report, and
its file (XLSX, PDF, CSV) passed on from reporting with its type and name."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.console.api.pages import SignedIn, checked_form, page, parts, redirect
from services.console.commands import laporan
from services.console.domain.laporan import FORMAT_NAMES, KIND_NAMES, REQUESTABLE
from services.console.domain.messages import GENERAL
from services.console.gateway import ServiceRefused

router = APIRouter(prefix="/laporan", tags=["pages"])
FILE = {"type": "string", "format": "binary"}
MEDIA_TYPES = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/pdf",
    "text/csv; charset=utf-8",
)
PASSED_ON = ("content-type", "content-disposition", "content-length")


def refused(request: Request, visit: SignedIn, exc: ServiceRefused) -> HTMLResponse:
    """A service's refusal of a page (403 another region's, 404, 503) as an Indonesian page."""
    return page(request, "error.html", visit, exc.status, message=next(iter(exc.errors.values())))


async def _list_page(
    request: Request,
    visit: SignedIn,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    assert visit.user is not None
    gateway = parts(request).gateway
    asked = request.query_params.get("dari", "0")
    offset = int(asked) if asked.isdigit() else 0
    try:
        reports, total = await laporan.list_reports(gateway, visit.user, offset)
    except ServiceRefused as exc:
        return refused(request, visit, exc)
    return page(
        request,
        "laporan/list.html",
        visit,
        status,
        reports=reports,
        total=total,
        offset=offset,
        page_size=laporan.PAGE_SIZE,
        campaigns=await laporan.campaigns(gateway, visit.user),
        kinds=[(kind, KIND_NAMES[kind]) for kind in REQUESTABLE],
        errors=errors or {},
        values=values or {"kind": "campaign", "region_code": visit.user["region"]},
    )


@router.get("", summary="The reports of the user's region, and the form to request one", response_class=HTMLResponse)
async def list_page(request: Request, visit: SignedIn) -> Response:
    return await _list_page(request, visit)


@router.post("", summary="Request a report from reporting", response_class=HTMLResponse)
async def request_report(request: Request, visit: SignedIn) -> Response:
    assert visit.user is not None
    form = await checked_form(request, visit)
    try:
        report_id = await laporan.request_report(parts(request).gateway, visit.user, form)
    except ServiceRefused as exc:
        return await _list_page(request, visit, 422 if exc.status < 500 else exc.status, exc.errors, form)
    return redirect(f"/laporan/{report_id}")


@router.get("/{report_id}", summary="One report: its state and files", response_class=HTMLResponse)
async def report_page(request: Request, visit: SignedIn, report_id: str) -> Response:
    assert visit.user is not None
    try:
        found = await laporan.read_report(parts(request).gateway, visit.user, report_id)
    except ServiceRefused as exc:
        return refused(request, visit, exc)
    return page(request, "laporan/report.html", visit, report=found, format_names=FORMAT_NAMES)


@router.get(
    "/{report_id}/unduh",
    summary="A report's file (XLSX, PDF or CSV) as reporting serves it",
    response_class=Response,
    responses={200: {"content": {media: {"schema": FILE} for media in MEDIA_TYPES}, "description": "the file"}},
)
async def download(request: Request, visit: SignedIn, report_id: str, format: str = "xlsx") -> Response:
    assert visit.user is not None
    try:
        found = await laporan.report_file(parts(request).gateway, visit.user, report_id, format)
    except ServiceRefused as exc:
        if exc.status == 409:  # still being built (or rebuilt after a revision)
            exc.errors = {GENERAL: "Laporan masih dibuat. Coba lagi sebentar lagi."}
        return refused(request, visit, exc)
    headers = {name: value for name, value in found.headers.items() if name.lower() in PASSED_ON}
    return Response(found.content, status_code=200, headers=headers)
