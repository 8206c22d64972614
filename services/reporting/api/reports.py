"""Reports: list, request on demand, look up, download."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import StreamingResponse
from gridfs import AsyncGridOut

from pilar_runtime.api import PageDep
from pilar_runtime.auth import Caller, CallerDep, LinkToken, WriterDep, caller_or_link
from pilar_runtime.links import with_token
from pilar_runtime.models import Page, public
from pilar_runtime.ratelimit import per_caller_limit
from pilar_runtime.service import RuntimeDep
from services.reporting import store
from services.reporting.api.schemas import ReportState
from services.reporting.commands import reports
from services.reporting.domain.reports import ReportRequest
from services.reporting.reports.render import FORMATS, MEDIA_TYPES

router = APIRouter(tags=["reports"])
FILE = {"type": "string", "format": "binary"}


# A report asked for by id answers a bearer token, or a signed link to that one report (the report-ready e-mail's).
ReaderDep = Annotated[Caller | None, Depends(caller_or_link("report", "report_id"))]


def _report(doc: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    """The report as the API shows it; opened by a link, its download links carry the link's token."""
    out = public(doc)
    for internal in ("regions", "lease_until", "lease_owner", "version", "attempts", "files"):
        out.pop(internal, None)
    if out.get("status") == "done":
        downloads = {fmt: f"/reports/{out['id']}/download?format={fmt}" for fmt in out.get("formats", [])}
        out["downloads"] = {fmt: with_token(path, token) if token else path for fmt, path in downloads.items()}
    return out


@router.get(
    "/reports",
    response_model=Page[ReportState],
    response_model_exclude_unset=True,
    summary="Reports of your region, newest first",
)
async def list_reports(
    runtime: RuntimeDep,
    caller: CallerDep,
    page: PageDep,
    kind: Annotated[str | None, Query(max_length=50)] = None,
) -> dict[str, Any]:
    return await store.reports_page(runtime.mongo.db, caller.list_filter(), page, kind, _report)


@router.post(
    "/reports",
    status_code=202,
    response_model=ReportState,
    response_model_exclude_unset=True,
    summary="Request a report; it is built in the background",
    dependencies=[per_caller_limit("reports_per_minute")],
)
async def create_report(body: ReportRequest, runtime: RuntimeDep, caller: WriterDep) -> dict[str, Any]:
    return _report(await reports.request_report(runtime.mongo, caller, body))


@router.get(
    "/reports/{report_id}",
    response_model=ReportState,
    response_model_exclude_unset=True,
    summary="A report's state and download links (403 outside your region); a report link's `?token=` opens it "
    "without a bearer token, to share",
)
async def get_report(report_id: str, runtime: RuntimeDep, caller: ReaderDep, token: LinkToken = None) -> dict[str, Any]:
    found = await reports.visible_report(runtime.mongo.db, caller, report_id)
    return _report(found, token if caller is None else None)


@router.get(
    "/reports/{report_id}/download",
    response_class=Response,
    responses={
        200: {"content": {media: {"schema": FILE} for media in MEDIA_TYPES.values()}, "description": "the file"}
    },
    summary="The report file (xlsx, pdf or csv); a report link's `?token=` opens it without a bearer token",
)
async def download(
    report_id: str,
    runtime: RuntimeDep,
    caller: ReaderDep,
    format: Annotated[str, Query(pattern="^(xlsx|pdf|csv)$", description=" | ".join(FORMATS))] = "xlsx",
) -> Response:
    stored = await reports.report_file(runtime.mongo.db, caller, report_id, format)
    # Streamed a chunk at a time: a province's export runs to tens of megabytes.
    return StreamingResponse(
        _chunks(stored),
        media_type=MEDIA_TYPES[format],
        headers={
            "Content-Disposition": f'attachment; filename="{report_id}.{format}"',
            "Content-Length": str(stored.length),
        },
    )


async def _chunks(stored: AsyncGridOut) -> AsyncIterator[bytes]:
    try:
        while chunk := await stored.readchunk():
            yield chunk
    finally:  # also when the caller goes away mid-way
        await stored.close()
