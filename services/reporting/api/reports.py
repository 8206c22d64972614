"""Reports: list, request on demand, look up, download."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import Field, model_validator

from pilar_runtime.api import Command, PageDep, new_id, page_of, public
from pilar_runtime.auth import CallerDep, WriterDep
from pilar_runtime.errors import Conflict, NotFound, Unprocessable
from pilar_runtime.mongo import UnitOfWork
from pilar_runtime.ratelimit import per_caller_limit
from pilar_runtime.regions import RegionError, require
from pilar_runtime.service import RuntimeDep
from services.reporting.api.scope import visible_campaign
from services.reporting.parts import PartsDep
from services.reporting.reports.content import KINDS
from services.reporting.reports.jobs import job_document, request
from services.reporting.reports.render import FORMATS, MEDIA_TYPES
from services.reporting.store import REPORT_FILES, REPORTS

router = APIRouter(tags=["reports"])


class ReportRequest(Command):
    kind: str = Field(description=f"one of {', '.join(KINDS)}")
    region_code: str | None = Field(
        None, description="region the report covers; a campaign report always covers its campaign's region"
    )
    period_start: date | None = None
    period_end: date | None = None
    campaign_id: str | None = Field(None, description="for kind `campaign`")

    @model_validator(mode="after")
    def _consistent(self) -> ReportRequest:
        if self.kind not in KINDS:
            raise ValueError(f"kind {self.kind!r} is unknown; use one of {', '.join(KINDS)}")
        if self.kind == "campaign":
            if not self.campaign_id:
                raise ValueError("campaign_id is required for a campaign report")
            return self
        if self.region_code is None or self.period_start is None or self.period_end is None:
            raise ValueError(f"region_code, period_start and period_end are required for a {self.kind} report")
        if self.period_end < self.period_start:
            raise ValueError(f"period_end {self.period_end} is before period_start {self.period_start}")
        return self


def _normalized(region_code: str) -> str:
    try:
        return require(region_code)
    except RegionError as exc:
        raise Unprocessable(f"region_code: {exc}") from exc


def _report(doc: dict[str, Any]) -> dict[str, Any]:
    out = public(doc)
    for internal in ("regions", "lease_until", "lease_owner", "version", "attempts"):
        out.pop(internal, None)
    if out.get("status") == "done":
        out["downloads"] = {fmt: f"/reports/{out['id']}/download?format={fmt}" for fmt in out.get("formats", [])}
    return out


@router.get("/reports", summary="Reports of your region, newest first")
async def list_reports(
    runtime: RuntimeDep,
    caller: CallerDep,
    page: PageDep,
    kind: Annotated[str | None, Query(max_length=50)] = None,
) -> dict[str, Any]:
    query: dict[str, Any] = caller.region_filter()
    if kind:
        query["kind"] = kind
    return await page_of(runtime.mongo.db[REPORTS], query, page, [("created_at", -1), ("_id", 1)], show=_report)


@router.post(
    "/reports",
    status_code=202,
    summary="Request a report; it is built in the background",
    dependencies=[per_caller_limit("reports_per_minute")],
)
async def create_report(body: ReportRequest, runtime: RuntimeDep, parts: PartsDep, caller: WriterDep) -> dict[str, Any]:
    if body.kind == "campaign":
        assert body.campaign_id is not None  # the request model requires it for a campaign report
        # A campaign report covers its campaign's region, never the one asked for.
        campaign = await visible_campaign(runtime.mongo.db, caller, body.campaign_id)
        region_code = str(campaign["region_code"])
        if body.region_code is not None and _normalized(body.region_code) != region_code:
            raise Unprocessable(f"region_code: a campaign report covers its campaign's region {region_code}")
    else:
        assert body.region_code is not None  # the request model requires it for the other kinds
        region_code = _normalized(body.region_code)
        caller.require_region(region_code)
    job = job_document(
        new_id("rpt"),
        body.kind,
        region_code,
        body.period_start,
        body.period_end,
        requested_by=caller.sub,
        created_at=datetime.now(UTC),
        campaign_id=body.campaign_id,
    )

    async def work(uow: UnitOfWork) -> None:
        await request(uow, job)

    await runtime.mongo.transact(work)
    if parts.report_worker is not None:
        parts.report_worker.wake()
    return _report(job)


async def _visible(runtime: RuntimeDep, caller: CallerDep, report_id: str) -> dict[str, Any]:
    doc = await runtime.mongo.db[REPORTS].find_one({"_id": report_id})
    if doc is None or not caller.can_see(doc["region_code"]):
        raise NotFound(f"report {report_id} not found")
    return doc


@router.get("/reports/{report_id}", summary="A report's state and download links")
async def get_report(report_id: str, runtime: RuntimeDep, caller: CallerDep) -> dict[str, Any]:
    return _report(await _visible(runtime, caller, report_id))


@router.get("/reports/{report_id}/download", summary="The report file (xlsx, pdf or csv)")
async def download(
    report_id: str,
    runtime: RuntimeDep,
    caller: CallerDep,
    format: Annotated[str, Query(pattern="^(xlsx|pdf|csv)$", description=" | ".join(FORMATS))] = "xlsx",
) -> Response:
    doc = await _visible(runtime, caller, report_id)
    if doc["status"] != "done":
        detail = doc.get("error") or "it is still being generated"
        raise Conflict(f"report {report_id} is {doc['status']}: {detail}")
    stored = await runtime.mongo.db[REPORT_FILES].find_one({"_id": f"{report_id}.{format}"})
    if stored is None:
        raise NotFound(f"report {report_id} has no {format} file")
    filename = f"{report_id}.{format}"
    return Response(
        bytes(stored["data"]),
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
