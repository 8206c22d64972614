"""Community regulations adopted by villages: adoption, correction and revocation."""

from __future__ import annotations

from typing import Any

import structlog

from pilar_runtime.auth import Caller
from pilar_runtime.models import new_id
from pilar_runtime.mongo import Mongo, UnitOfWork
from services.registry import events
from services.registry.domain.regulations import (
    RegulationAdoption,
    RegulationChanges,
    RegulationRevocation,
    RegulationStatus,
    check_in_force,
    check_pokja,
    check_revocation,
    corrected,
    new_regulation,
)
from services.registry.domain.values import now
from services.registry.store import REGULATIONS, get_scoped, member_views

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


async def amend_regulation(
    mongo: Mongo, regulation_id: str, changes: RegulationChanges, caller: Caller
) -> dict[str, Any]:
    """A correction of a regulation in force: community_regulation_amended with the fields changed and why."""

    async def work(uow: UnitOfWork) -> dict[str, Any]:
        current = await get_scoped(mongo, REGULATIONS, regulation_id, caller, "community regulation", uow)
        check_in_force(current)
        fields = corrected(current, changes.given())
        if not fields:
            return current  # nothing changes: no new version, no event
        if fields.get("pokja_id"):
            pokja = (await member_views(uow, [fields["pokja_id"]], caller))[fields["pokja_id"]]
            check_pokja(fields["pokja_id"], pokja, current["region_code"])
        stamp = {"version": current["version"] + 1, "updated_at": now(), "updated_by": caller.sub}
        updated = {**current, **fields, **stamp}
        await uow.db[REGULATIONS].update_one({"_id": regulation_id}, {"$set": {**fields, **stamp}}, session=uow.session)
        uow.emit(events.regulation_amended(updated, sorted(fields), changes.reason, caller.sub))
        return updated

    updated = await mongo.transact(work)
    log.info("community_regulation.amended", regulation_id=regulation_id, version=updated["version"])
    return updated


async def revoke_regulation(
    mongo: Mongo, regulation_id: str, revocation: RegulationRevocation, caller: Caller
) -> dict[str, Any]:
    """The regulation is no longer in force; it stays readable with its revocation: community_regulation_revoked."""

    async def work(uow: UnitOfWork) -> dict[str, Any]:
        current = await get_scoped(mongo, REGULATIONS, regulation_id, caller, "community regulation", uow)
        check_in_force(current)
        check_revocation(current["adopted_on"], revocation.revoked_on)
        at = now()
        changes = {
            "status": RegulationStatus.REVOKED.value,
            "revocation": {**revocation.model_dump(mode="json"), "revoked_by": caller.sub, "revoked_at": at},
            "version": current["version"] + 1,
            "updated_at": at,
            "updated_by": caller.sub,
        }
        updated = {**current, **changes}
        await uow.db[REGULATIONS].update_one({"_id": regulation_id}, {"$set": changes}, session=uow.session)
        uow.emit(events.regulation_revoked(updated, caller.sub))
        return updated

    updated = await mongo.transact(work)
    log.info("community_regulation.revoked", regulation_id=regulation_id)
    return updated
