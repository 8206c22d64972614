"""Institutions: registration, reads, changes, kepengurusan and formation."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from contracts.events.common import InstitutionKind, InstitutionStatus
from pilar_runtime.api import PageDep
from pilar_runtime.auth import CallerDep, WriterDep
from pilar_runtime.models import Page, public
from pilar_runtime.service import RuntimeDep
from services.registry import store
from services.registry.api.common import shown
from services.registry.api.schemas import Institution, InstitutionActivity
from services.registry.commands import activities as activity_commands
from services.registry.commands import institutions as commands
from services.registry.domain.activities import ActivityRecord
from services.registry.domain.institutions import (
    BoardReplacement,
    Formation,
    InstitutionChanges,
    InstitutionRegistration,
)

router = APIRouter(prefix="/institutions", tags=["institutions"])


@router.post(
    "",
    status_code=201,
    response_model=Institution,
    summary="Register an institution (409 with existing_id for a duplicate)",
    response_model_exclude_unset=True,
)
async def create(command: InstitutionRegistration, caller: WriterDep, runtime: RuntimeDep) -> dict[str, Any]:
    return public(await commands.register_institution(runtime.mongo, command, caller))


@router.get(
    "",
    response_model=Page[Institution],
    summary="Institutions in your region, filtered",
    response_model_exclude_unset=True,
)
async def list_institutions(
    caller: CallerDep,
    runtime: RuntimeDep,
    page: PageDep,
    kind: InstitutionKind | None = None,
    status: InstitutionStatus | None = None,
    region: Annotated[str | None, Query(description="a region code: its whole subtree")] = None,
    q: Annotated[str | None, Query(max_length=200, description="text in the name")] = None,
) -> dict[str, Any]:
    return await store.institutions_page(
        runtime.mongo,
        caller.list_filter(region),
        page,
        lambda d: shown(caller, d),
        kind=kind.value if kind else None,
        status=status.value if status else None,
        name=q,
    )


@router.get(
    "/{institution_id}", response_model=Institution, summary="One institution", response_model_exclude_unset=True
)
async def get(institution_id: str, caller: CallerDep, runtime: RuntimeDep) -> dict[str, Any]:
    found = await store.get_scoped(runtime.mongo, store.INSTITUTIONS, institution_id, caller, "institution")
    return shown(caller, found)


@router.patch(
    "/{institution_id}",
    response_model=Institution,
    summary="Change name, address, legal basis, members, issues or status",
    response_model_exclude_unset=True,
)
async def patch(
    institution_id: str, changes: InstitutionChanges, caller: WriterDep, runtime: RuntimeDep
) -> dict[str, Any]:
    return public(await commands.change_institution(runtime.mongo, institution_id, changes, caller))


@router.put(
    "/{institution_id}/board",
    response_model=Institution,
    summary="Replace the kepengurusan (board)",
    response_model_exclude_unset=True,
)
async def put_board(
    institution_id: str, replacement: BoardReplacement, caller: WriterDep, runtime: RuntimeDep
) -> dict[str, Any]:
    return public(await commands.replace_board(runtime.mongo, institution_id, replacement, caller))


@router.post(
    "/{institution_id}/formation",
    response_model=Institution,
    summary="Complete the penumbuhan: emits <KIND>_formed",
    response_model_exclude_unset=True,
)
async def form(institution_id: str, formation: Formation, caller: WriterDep, runtime: RuntimeDep) -> dict[str, Any]:
    return public(await commands.form_institution(runtime.mongo, institution_id, formation, caller))


@router.post(
    "/{institution_id}/activities",
    status_code=201,
    response_model=InstitutionActivity,
    summary="Record a pelatihan, pendampingan, monev or revitalisasi: emits institution_activity_recorded",
)
async def record_activity(
    institution_id: str, record: ActivityRecord, caller: WriterDep, runtime: RuntimeDep
) -> dict[str, Any]:
    return public(await activity_commands.record_activity(runtime.mongo, institution_id, record, caller))


@router.get(
    "/{institution_id}/activities",
    response_model=Page[InstitutionActivity],
    summary="An institution's activities, newest first",
)
async def list_activities(institution_id: str, caller: CallerDep, runtime: RuntimeDep, page: PageDep) -> dict[str, Any]:
    return await activity_commands.activities_of(runtime.mongo, institution_id, caller, page)
