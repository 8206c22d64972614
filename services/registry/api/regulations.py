"""Community regulations adopted by villages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from pilar_runtime.api import PageDep
from pilar_runtime.auth import CallerDep, WriterDep
from pilar_runtime.models import Page, public
from pilar_runtime.service import RuntimeDep
from services.registry import store
from services.registry.api.schemas import CommunityRegulation
from services.registry.commands.regulations import adopt_regulation, amend_regulation, revoke_regulation
from services.registry.domain.regulations import (
    RegulationAdoption,
    RegulationChanges,
    RegulationRevocation,
    RegulationStatus,
)
from services.registry.domain.values import Topic

router = APIRouter(prefix="/community-regulations", tags=["community regulations"])


@router.post(
    "",
    status_code=201,
    response_model=CommunityRegulation,
    summary="Record a community regulation: emits community_regulation_adopted",
    response_model_exclude_unset=True,
)
async def create(command: RegulationAdoption, caller: WriterDep, runtime: RuntimeDep) -> dict[str, Any]:
    return public(await adopt_regulation(runtime.mongo, command, caller))


@router.get(
    "",
    response_model=Page[CommunityRegulation],
    summary="Community regulations in your region",
    response_model_exclude_unset=True,
)
async def list_regulations(
    caller: CallerDep,
    runtime: RuntimeDep,
    page: PageDep,
    region: Annotated[str | None, Query(description="a region code: its whole subtree")] = None,
    topic: Annotated[Topic | None, Query(description="NAPZA, PORNOGRAFI, PMB, …")] = None,
    status: Annotated[RegulationStatus | None, Query(description="in_force or revoked")] = None,
) -> dict[str, Any]:
    return await store.regulations_page(
        runtime.mongo, caller.list_filter(region), page, topic=topic, status=status.value if status else None
    )


@router.get(
    "/{regulation_id}",
    response_model=CommunityRegulation,
    summary="One community regulation",
    response_model_exclude_unset=True,
)
async def get(regulation_id: str, caller: CallerDep, runtime: RuntimeDep) -> dict[str, Any]:
    found = await store.get_scoped(runtime.mongo, store.REGULATIONS, regulation_id, caller, "community regulation")
    return public(found)


@router.patch(
    "/{regulation_id}",
    response_model=CommunityRegulation,
    summary="Correct title, topics, adoption date, Pokja or description: emits community_regulation_amended",
)
async def patch(
    regulation_id: str, changes: RegulationChanges, caller: WriterDep, runtime: RuntimeDep
) -> dict[str, Any]:
    return public(await amend_regulation(runtime.mongo, regulation_id, changes, caller))


@router.post(
    "/{regulation_id}/revoke",
    response_model=CommunityRegulation,
    summary="Revoke a regulation (it stays on record): emits community_regulation_revoked",
)
async def revoke(
    regulation_id: str, revocation: RegulationRevocation, caller: WriterDep, runtime: RuntimeDep
) -> dict[str, Any]:
    return public(await revoke_regulation(runtime.mongo, regulation_id, revocation, caller))
