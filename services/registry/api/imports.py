"""Bulk import: upload a CSV/XLSX file, follow the job, read its per-row error report."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile

from pilar_runtime.api import PageDep
from pilar_runtime.auth import CallerDep, WriterDep
from pilar_runtime.models import Page, public
from pilar_runtime.ratelimit import per_caller_limit
from pilar_runtime.service import RuntimeDep
from services.registry import store
from services.registry.api.schemas import ImportJob
from services.registry.commands.imports import start_import
from services.registry.domain.imports import job_view
from services.registry.domain.rows import ImportKind
from services.registry.domain.values import now

router = APIRouter(prefix="/imports", tags=["imports"])

MAX_IMPORT_BYTES = 20 * 1024 * 1024


# Jobs answer only the fields they hold: a list leaves out the error lists, only some jobs carry a message.
@router.post(
    "",
    status_code=202,
    response_model=ImportJob,
    response_model_exclude_unset=True,
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
    return public(await start_import(runtime, caller, kind, file.filename or "upload", content))


@router.get(
    "",
    response_model=Page[ImportJob],
    response_model_exclude_unset=True,
    summary="Imports started in your region, newest first (without their error lists)",
)
async def list_imports(caller: CallerDep, runtime: RuntimeDep, page: PageDep) -> dict[str, Any]:
    at = now()
    return await store.imports_page(runtime.mongo, caller.list_filter(), page, lambda job: job_view(job, at))


@router.get(
    "/{import_id}",
    response_model=ImportJob,
    response_model_exclude_unset=True,
    summary="Progress and per-row errors of an import",
)
async def get(import_id: str, caller: CallerDep, runtime: RuntimeDep) -> dict[str, Any]:
    return job_view(await store.get_scoped(runtime.mongo, store.IMPORTS, import_id, caller, "import"), now())
