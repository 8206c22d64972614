"""Community regulations adopted by villages."""

from __future__ import annotations

from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Query

from pilar_runtime.api import PageDep, new_id, page_of, public
from pilar_runtime.auth import CallerDep, WriterDep
from pilar_runtime.mongo import UnitOfWork
from pilar_runtime.service import RuntimeDep
from services.registry import events
from services.registry.api.common import now, scope_filter
from services.registry.domain.regulations import RegulationAdoption, check_pokja, new_regulation
from services.registry.domain.values import Topic
from services.registry.store import REGULATIONS, get_scoped, member_views

log = structlog.get_logger("registry.regulations")
router = APIRouter(prefix="/community-regulations", tags=["community regulations"])


@router.post("", status_code=201, summary="Record a community regulation: emits community_regulation_adopted")
async def create(command: RegulationAdoption, caller: WriterDep, runtime: RuntimeDep) -> dict[str, Any]:
    caller.require_region(command.region_code)
    document = new_regulation(command, new_id("reg"), caller.sub, now())

    async def work(uow: UnitOfWork) -> None:
        if command.pokja_id:
            pokja = (await member_views(uow, [command.pokja_id], caller))[command.pokja_id]
            check_pokja(command.pokja_id, pokja, command.region_code)
        await uow.db[REGULATIONS].insert_one(document, session=uow.session)
        uow.emit(events.regulation_adopted(document, caller.sub))

    await runtime.mongo.transact(work)
    log.info("community_regulation.adopted", regulation_id=document["_id"], region_code=command.region_code)
    return public(document)


@router.get("", summary="Community regulations in your region")
async def list_regulations(
    caller: CallerDep,
    runtime: RuntimeDep,
    page: PageDep,
    region: Annotated[str | None, Query(description="a region code: its whole subtree")] = None,
    topic: Annotated[Topic | None, Query(description="NAPZA, PORNOGRAFI, PMB, …")] = None,
) -> dict[str, Any]:
    query = scope_filter(caller, region)
    if topic:
        query["topics"] = topic
    return await page_of(runtime.mongo.db[REGULATIONS], query, page, [("adopted_on", 1), ("_id", 1)])


@router.get("/{regulation_id}", summary="One community regulation")
async def get(regulation_id: str, caller: CallerDep, runtime: RuntimeDep) -> dict[str, Any]:
    return public(await get_scoped(runtime, REGULATIONS, regulation_id, caller, "community regulation"))
