"""Bulk import: upload a CSV/XLSX file, follow the job, read its per-row error report."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile

from pilar_runtime.api import PageDep, page_of
from pilar_runtime.auth import CallerDep, WriterDep
from pilar_runtime.ratelimit import per_caller_limit
from pilar_runtime.service import RuntimeDep
from services.registry.api.common import now
from services.registry.domain.rows import ImportKind
from services.registry.imports import job_view, start_import
from services.registry.store import IMPORTS, get_scoped

router = APIRouter(prefix="/imports", tags=["imports"])

MAX_IMPORT_BYTES = 20 * 1024 * 1024


@router.post(
    "",
    status_code=202,
    summary="Start an import of institutions or workers (CSV or XLSX)",
    dependencies=[per_caller_limit("imports_per_minute")],
)
async def create(
    caller: WriterDep,
    runtime: RuntimeDep,
    file: Annotated[UploadFile, File(description="CSV (UTF-8, ',' or ';') or XLSX; first row is the header")],
    kind: Annotated[ImportKind, Form(description="institutions | workers")],
) -> dict[str, Any]:
    content = await file.read()
    return await start_import(runtime, caller, kind, file.filename or "upload", content)


@router.get("", summary="Imports started in your region, newest first (without their error lists)")
async def list_imports(caller: CallerDep, runtime: RuntimeDep, page: PageDep) -> dict[str, Any]:
    at = now()
    return await page_of(
        runtime.mongo.db[IMPORTS],
        caller.region_filter(),
        page,
        [("created_at", -1), ("_id", 1)],
        projection={"errors": 0},
        show=lambda job: job_view(job, at),
    )


@router.get("/{import_id}", summary="Progress and per-row errors of an import")
async def get(import_id: str, caller: CallerDep, runtime: RuntimeDep) -> dict[str, Any]:
    return job_view(await get_scoped(runtime, IMPORTS, import_id, caller, "import"), now())
