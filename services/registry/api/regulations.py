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
from services.registry.commands.regulations import adopt_regulation
from services.registry.domain.regulations import RegulationAdoption
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
) -> dict[str, Any]:
    return await store.regulations_page(runtime.mongo, caller.list_filter(region), page, topic=topic)


@router.get(
    "/{regulation_id}",
    response_model=CommunityRegulation,
    summary="One community regulation",
    response_model_exclude_unset=True,
)
async def get(regulation_id: str, caller: CallerDep, runtime: RuntimeDep) -> dict[str, Any]:
    found = await store.get_scoped(runtime.mongo, store.REGULATIONS, regulation_id, caller, "community regulation")
    return public(found)
