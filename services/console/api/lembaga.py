"""Lembaga: list and search, register, the kepengurusan editor, the penumbuhan, members, status and history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from pilar_runtime.auth import WRITERS
from pilar_runtime.localtime import local_today, zone_of
from services.console.api.pages import SignedIn, checked_form, page, parts, redirect
from services.console.commands import lembaga
from services.console.commands.signin import Visit
from services.console.domain import lembaga as rules
from services.console.gateway import ServiceRefused

router = APIRouter(prefix="/lembaga", tags=["lembaga"])
REGISTRATION_FIELDS = ("kind", "name", "region_code", "address", "status")
FORMATION_FIELDS = ("formed_on", "campaign_id", "session_id")
LABELS: dict[str, Any] = {"kinds": rules.KINDS, "statuses": rules.STATUSES, "board_roles": rules.BOARD_ROLES}


def section_page(request: Request, template: str, visit: Visit, status: int = 200, **context: Any) -> HTMLResponse:
    """A page of the section: its labels, and whether the user may write (a viewer sees no forms to change)."""
    writer = visit.user is not None and visit.user["role"] in WRITERS
    return page(request, template, visit, status, **LABELS, writer=writer, **context)


def refused(request: Request, visit: Visit, exc: ServiceRefused) -> HTMLResponse:
    """A service's refusal of a whole page (another region's record, a missing one) as a page in Indonesian."""
    message = next(iter(exc.errors.values()), "Permintaan ditolak.")
    return page(request, "error.html", visit, exc.status, message=message)


@router.get("", summary="Institutions of the user's region: search and filter", response_class=HTMLResponse)
async def list_page(request: Request, visit: SignedIn) -> Response:
    assert visit.user is not None
    query = dict(request.query_params)
    filters = rules.list_filters(query, ("q", "kind", "status", "region"))
    offset = int(query["offset"]) if query.get("offset", "").isdigit() else 0
    try:
        found = await lembaga.institutions(parts(request).gateway, visit.user, filters, offset)
    except ServiceRefused as exc:
        return section_page(request, "lembaga/list.html", visit, 200, found=None, values=filters, errors=exc.errors)
    return section_page(request, "lembaga/list.html", visit, found=found, values=filters, offset=offset)


@router.get("/baru", summary="The registration form", response_class=HTMLResponse)
async def new_page(request: Request, visit: SignedIn) -> Response:
    return section_page(request, "lembaga/new.html", visit, rows=rules.starting_rows(), values={})


@router.post("/baru", summary="Register an institution (or add a row to its board)", response_class=HTMLResponse)
async def register(request: Request, visit: SignedIn) -> Response:
    assert visit.user is not None
    form = await checked_form(request, visit)
    rows = rules.board_rows(form)
    if form.get("action") == "tambah-baris":
        return section_page(request, "lembaga/new.html", visit, rows=rules.with_blank_row(rows), values=form)
    try:
        created = await lembaga.register(
            parts(request).gateway, visit.user, rules.registration(form, rules.board_of(rows))
        )
    except ServiceRefused as exc:
        errors = rules.on_form(rules.form_errors(exc.errors, rules.kept_indexes(rows)), REGISTRATION_FIELDS)
        duplicate = exc.status == 409
        return page(
            request,
            "lembaga/new.html",
            visit,
            exc.status,
            **LABELS,
            rows=rows,
            values=form,
            errors=errors,
            duplicate=duplicate,
        )
    return redirect(f"/lembaga/{created['id']}")


@router.get(
    "/{institution_id}", summary="One institution: board, members, formation, history", response_class=HTMLResponse
)
async def record_page(request: Request, visit: SignedIn, institution_id: str) -> Response:
    assert visit.user is not None
    try:
        found = await lembaga.record(parts(request).gateway, visit.user, institution_id)
    except ServiceRefused as exc:
        return refused(request, visit, exc)
    changed = request.query_params.get("diubah", "")
    return section_page(
        request, "lembaga/record.html", visit, **found, next_statuses=rules.NEXT_STATUSES, changed=changed
    )


@router.post("/{institution_id}/status", summary="Change an institution's status", response_class=HTMLResponse)
async def change_status(request: Request, visit: SignedIn, institution_id: str) -> Response:
    assert visit.user is not None
    form = await checked_form(request, visit)
    gateway = parts(request).gateway
    try:
        await lembaga.change(gateway, visit.user, institution_id, {"status": form.get("status", "")})
    except ServiceRefused as exc:
        try:
            found = await lembaga.record(gateway, visit.user, institution_id)
        except ServiceRefused as gone:
            return refused(request, visit, gone)
        return page(
            request,
            "lembaga/record.html",
            visit,
            exc.status,
            **LABELS,
            **found,
            next_statuses=rules.NEXT_STATUSES,
            errors=rules.on_form(exc.errors, ("status",)),
        )
    return redirect(f"/lembaga/{institution_id}?diubah=status")


@router.get("/{institution_id}/pengurus", summary="The kepengurusan editor", response_class=HTMLResponse)
async def board_page(request: Request, visit: SignedIn, institution_id: str) -> Response:
    assert visit.user is not None
    try:
        found = await lembaga.institution(parts(request).gateway, visit.user, institution_id)
    except ServiceRefused as exc:
        return refused(request, visit, exc)
    return section_page(request, "lembaga/board.html", visit, institution=found, rows=rules.rows_of(found["board"]))


@router.post(
    "/{institution_id}/pengurus", summary="Replace the kepengurusan (or add a row)", response_class=HTMLResponse
)
async def replace_board(request: Request, visit: SignedIn, institution_id: str) -> Response:
    assert visit.user is not None
    form = await checked_form(request, visit)
    gateway = parts(request).gateway
    rows = rules.board_rows(form)
    try:
        found = await lembaga.institution(gateway, visit.user, institution_id)
    except ServiceRefused as exc:
        return refused(request, visit, exc)
    if form.get("action") == "tambah-baris":
        return section_page(request, "lembaga/board.html", visit, institution=found, rows=rules.with_blank_row(rows))
    try:
        await lembaga.replace_board(gateway, visit.user, institution_id, rules.board_of(rows))
    except ServiceRefused as exc:
        errors = rules.on_form(rules.form_errors(exc.errors, rules.kept_indexes(rows)), ())
        return section_page(
            request, "lembaga/board.html", visit, exc.status, institution=found, rows=rows, errors=errors
        )
    return redirect(f"/lembaga/{institution_id}?diubah=pengurus")


@router.get(
    "/{institution_id}/anggota",
    summary="The members editor (a WKSBM's member institutions)",
    response_class=HTMLResponse,
)
async def members_page(request: Request, visit: SignedIn, institution_id: str) -> Response:
    assert visit.user is not None
    gateway = parts(request).gateway
    try:
        found = await lembaga.institution(gateway, visit.user, institution_id)
        candidates = await lembaga.candidates(gateway, visit.user, found)
    except ServiceRefused as exc:
        return refused(request, visit, exc)
    return section_page(request, "lembaga/members.html", visit, institution=found, candidates=candidates)


@router.post("/{institution_id}/anggota", summary="Change the member institutions", response_class=HTMLResponse)
async def change_members(request: Request, visit: SignedIn, institution_id: str) -> Response:
    assert visit.user is not None
    await checked_form(request, visit)
    chosen = [str(v) for v in (await request.form()).getlist("member_ids")]
    gateway = parts(request).gateway
    try:
        await lembaga.change(gateway, visit.user, institution_id, {"member_ids": chosen})
    except ServiceRefused as exc:
        if exc.status in (403, 404):
            return refused(request, visit, exc)
        found = await lembaga.institution(gateway, visit.user, institution_id)
        candidates = await lembaga.candidates(gateway, visit.user, found)
        return page(
            request,
            "lembaga/members.html",
            visit,
            exc.status,
            **LABELS,
            institution=found,
            candidates=candidates,
            errors=rules.on_form(exc.errors, ("member_ids",)),
        )
    return redirect(f"/lembaga/{institution_id}?diubah=anggota")


@router.get(
    "/{institution_id}/penumbuhan", summary="The penumbuhan form: date, campaign, session", response_class=HTMLResponse
)
async def formation_page(request: Request, visit: SignedIn, institution_id: str) -> Response:
    assert visit.user is not None
    gateway = parts(request).gateway
    try:
        found = await lembaga.institution(gateway, visit.user, institution_id)
        campaigns, sessions = await lembaga.citable(gateway, visit.user, found["region_code"])
    except ServiceRefused as exc:
        return refused(request, visit, exc)
    values = {"formed_on": local_today(zone_of(found["region_code"])).isoformat()}
    return page(
        request,
        "lembaga/formation.html",
        visit,
        **LABELS,
        institution=found,
        campaigns=campaigns,
        sessions=sessions,
        values=values,
    )


@router.post("/{institution_id}/penumbuhan", summary="Complete the penumbuhan", response_class=HTMLResponse)
async def form_institution(request: Request, visit: SignedIn, institution_id: str) -> Response:
    assert visit.user is not None
    form = await checked_form(request, visit)
    gateway = parts(request).gateway
    try:
        await lembaga.form(
            gateway, visit.user, institution_id, rules.optional(form, "formed_on", "campaign_id", "session_id")
        )
    except ServiceRefused as exc:
        if exc.status in (403, 404):
            return refused(request, visit, exc)
        found = await lembaga.institution(gateway, visit.user, institution_id)
        campaigns, sessions = await lembaga.citable(gateway, visit.user, found["region_code"])
        return page(
            request,
            "lembaga/formation.html",
            visit,
            exc.status,
            **LABELS,
            institution=found,
            campaigns=campaigns,
            sessions=sessions,
            values=form,
            errors=rules.on_form(exc.errors, FORMATION_FIELDS),
        )
    return redirect(f"/lembaga/{institution_id}?diubah=penumbuhan")
