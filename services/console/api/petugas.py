"""Petugas: list, register, edit; the bulk import of a CSV or XLSX file with its progress and per-row errors."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from pilar_runtime.auth import WRITERS
from services.console.api.lembaga import refused
from services.console.api.pages import SignedIn, checked_form, page, parts, redirect
from services.console.commands import petugas
from services.console.commands.signin import Visit
from services.console.domain import lembaga as rules
from services.console.gateway import ServiceRefused

router = APIRouter(prefix="/petugas", tags=["petugas"])
LABELS: dict[str, Any] = {"roles": rules.ROLES}
WORKER_FIELDS = ("role", "name", "region_code", "nik", "phone", "email", "active")
IMPORT_KINDS = {"workers": "Petugas", "institutions": "Lembaga"}
MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # the registry's limit: a larger file is refused here without being sent on


def section_page(request: Request, template: str, visit: Visit, status: int = 200, **context: Any) -> HTMLResponse:
    """A page of the section: the role labels, and whether the user may write."""
    writer = visit.user is not None and visit.user["role"] in WRITERS
    return page(request, template, visit, status, **LABELS, writer=writer, **context)


@router.get("", summary="Workers of the user's region: search and filter", response_class=HTMLResponse)
async def list_page(request: Request, visit: SignedIn) -> Response:
    assert visit.user is not None
    query = dict(request.query_params)
    filters = rules.list_filters(query, ("q", "role", "active", "region"))
    offset = int(query["offset"]) if query.get("offset", "").isdigit() else 0
    try:
        found = await petugas.workers(parts(request).gateway, visit.user, filters, offset)
    except ServiceRefused as exc:
        return section_page(request, "petugas/list.html", visit, found=None, values=filters, errors=exc.errors)
    return section_page(request, "petugas/list.html", visit, found=found, values=filters, offset=offset)


@router.get("/baru", summary="The new-worker form", response_class=HTMLResponse)
async def new_page(request: Request, visit: SignedIn) -> Response:
    return section_page(request, "petugas/worker.html", visit, worker=None, values={"active": "ya"})


@router.post("/baru", summary="Register a worker", response_class=HTMLResponse)
async def register(request: Request, visit: SignedIn) -> Response:
    assert visit.user is not None
    form = await checked_form(request, visit)
    try:
        created = await petugas.register(parts(request).gateway, visit.user, rules.worker_body(form, editing=False))
    except ServiceRefused as exc:
        return page(
            request,
            "petugas/worker.html",
            visit,
            exc.status,
            **LABELS,
            worker=None,
            values=form,
            errors=rules.on_form(exc.errors, WORKER_FIELDS),
        )
    return redirect(f"/petugas/{created['id']}?diubah=baru")


@router.get("/impor", summary="The bulk import form and the recent imports", response_class=HTMLResponse)
async def import_page(request: Request, visit: SignedIn) -> Response:
    assert visit.user is not None
    try:
        recent = await petugas.recent_imports(parts(request).gateway, visit.user)
    except ServiceRefused as exc:
        return section_page(request, "petugas/import.html", visit, kinds=IMPORT_KINDS, recent=[], errors=exc.errors)
    return section_page(request, "petugas/import.html", visit, kinds=IMPORT_KINDS, recent=recent)


@router.post("/impor", summary="Upload a CSV or XLSX file to import", response_class=HTMLResponse)
async def upload(request: Request, visit: SignedIn) -> Response:
    assert visit.user is not None
    await checked_form(request, visit)
    form = await request.form()
    file, kind = form.get("file"), str(form.get("kind") or "workers")
    errors: dict[str, str] = {}
    if not isinstance(file, UploadFile) or not file.filename:
        errors["file"] = "Pilih berkas CSV atau XLSX."
    elif (file.size or 0) > MAX_UPLOAD_BYTES:
        errors["file"] = "Berkas lebih dari 20 MB."
    if not errors and isinstance(file, UploadFile):
        try:
            job = await petugas.start_import(
                parts(request).gateway, visit.user, kind, file.filename or "unggahan", await file.read()
            )
        except ServiceRefused as exc:
            errors = {("file" if key in ("", "file") else key): message for key, message in exc.errors.items()}
        else:
            return redirect(f"/petugas/impor/{job['id']}")
    return section_page(
        request, "petugas/import.html", visit, 422, kinds=IMPORT_KINDS, recent=[], errors=errors, values={"kind": kind}
    )


@router.get("/impor/{import_id}", summary="An import's progress, then its per-row errors", response_class=HTMLResponse)
async def job_page(request: Request, visit: SignedIn, import_id: str) -> Response:
    assert visit.user is not None
    try:
        job = await petugas.import_job(parts(request).gateway, visit.user, import_id)
    except ServiceRefused as exc:
        return refused(request, visit, exc)
    return page(
        request,
        "petugas/job.html",
        visit,
        job=job,
        kinds=IMPORT_KINDS,
        percent=rules.progress(job),
        row_errors=rules.row_errors(job),
    )


@router.get("/{worker_id}", summary="One worker, with the form to change them", response_class=HTMLResponse)
async def worker_page(request: Request, visit: SignedIn, worker_id: str) -> Response:
    assert visit.user is not None
    try:
        found = await petugas.worker(parts(request).gateway, visit.user, worker_id)
    except ServiceRefused as exc:
        return refused(request, visit, exc)
    values = {**{k: str(found.get(k) or "") for k in ("role", "name", "region_code", "nik", "phone", "email")}}
    values["active"] = "ya" if found["active"] else "tidak"
    return page(
        request,
        "petugas/worker.html",
        visit,
        **LABELS,
        worker=found,
        values=values,
        changed=request.query_params.get("diubah", ""),
    )


@router.post("/{worker_id}", summary="Change a worker", response_class=HTMLResponse)
async def change(request: Request, visit: SignedIn, worker_id: str) -> Response:
    assert visit.user is not None
    form = await checked_form(request, visit)
    gateway = parts(request).gateway
    try:
        found = await petugas.worker(gateway, visit.user, worker_id)
    except ServiceRefused as exc:
        return refused(request, visit, exc)
    try:
        await petugas.change(gateway, visit.user, worker_id, rules.worker_body(form, editing=True))
    except ServiceRefused as exc:
        if exc.status in (403, 404):
            return refused(request, visit, exc)
        return page(
            request,
            "petugas/worker.html",
            visit,
            exc.status,
            **LABELS,
            worker=found,
            values=form,
            errors=rules.on_form(exc.errors, WORKER_FIELDS),
        )
    return redirect(f"/petugas/{worker_id}?diubah=ya")
