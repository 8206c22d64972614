"""Community regulations adopted by villages."""

from __future__ import annotations

from typing import Any

import structlog

from pilar_runtime.auth import Caller
from pilar_runtime.models import new_id
from pilar_runtime.mongo import Mongo, UnitOfWork
from services.registry import events
from services.registry.domain.regulations import RegulationAdoption, check_pokja, new_regulation
from services.registry.domain.values import now
from services.registry.store import REGULATIONS, member_views

log = structlog.get_logger("registry.regulations")


async def adopt_regulation(mongo: Mongo, command: RegulationAdoption, caller: Caller) -> dict[str, Any]:
    """A regulation a desa adopted, drafted by its own Pokja if one is named: community_regulation_adopted."""
    caller.require_region(command.region_code)
    document = new_regulation(command, new_id("reg"), caller.sub, now())

    async def work(uow: UnitOfWork) -> None:
        if command.pokja_id:
            pokja = (await member_views(uow, [command.pokja_id], caller))[command.pokja_id]
            check_pokja(command.pokja_id, pokja, command.region_code)
        await uow.db[REGULATIONS].insert_one(document, session=uow.session)
        uow.emit(events.regulation_adopted(document, caller.sub))

    await mongo.transact(work)
    log.info("community_regulation.adopted", regulation_id=document["_id"], region_code=command.region_code)
    return document
