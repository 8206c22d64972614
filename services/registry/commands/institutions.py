"""Institutions: registration, changes, kepengurusan and formation (penumbuhan)."""

from __future__ import annotations

from typing import Any

import structlog
from pymongo.errors import DuplicateKeyError

from contracts.events.common import InstitutionStatus
from pilar_runtime.auth import Caller
from pilar_runtime.errors import Conflict
from pilar_runtime.models import new_id
from pilar_runtime.mongo import Mongo, UnitOfWork
from services.registry import events
from services.registry.domain.institutions import (
    BoardReplacement,
    Formation,
    InstitutionChanges,
    InstitutionRegistration,
    board_members,
    check_changeable,
    check_citations,
    check_formation,
    check_members,
    check_status_change,
    duplicate_key,
    formed_event_type,
    name_key,
    new_institution,
)
from services.registry.domain.values import now
from services.registry.store import (
    CAMPAIGNS,
    INSTITUTIONS,
    SESSIONS,
    cited,
    find_duplicate,
    get_scoped,
    holder_of_duplicate_key,
    member_views,
)

log = structlog.get_logger("registry.institutions")


def duplicate_conflict(existing_id: str) -> Conflict:
    return Conflict(
        {
            "message": "an institution of this kind with this name already exists in this region "
            "(send allow_duplicate: true if this is deliberate)",
            "existing_id": existing_id,
        }
    )


async def register_institution(mongo: Mongo, command: InstitutionRegistration, caller: Caller) -> dict[str, Any]:
    """A new institution (409 with the existing id for a duplicate, unless deliberate): institution_registered."""
    caller.require_region(command.region_code)
    document = new_institution(command, new_id("ins"), caller.sub, now())

    async def work(uow: UnitOfWork) -> None:
        if not command.allow_duplicate:
            existing = await find_duplicate(uow, command.kind, command.region_code, document["_name_key"])
            if existing:
                raise duplicate_conflict(existing)
        if command.member_ids:
            members = await member_views(uow, command.member_ids, caller)
            check_members(document["_id"], command.kind, command.region_code, members)
        await uow.db[INSTITUTIONS].insert_one(document, session=uow.session)
        uow.emit(events.institution_registered(document, caller.sub))

    try:
        await mongo.transact(work)
    except DuplicateKeyError:  # a concurrent registration of the same name won the race
        raise duplicate_conflict(await holder_of_duplicate_key(mongo, document.get("_dup_key", "")) or "") from None
    log.info(
        "institution.registered", institution_id=document["_id"], kind=command.kind, region_code=command.region_code
    )
    return document


async def change_institution(
    mongo: Mongo, institution_id: str, changes: InstitutionChanges, caller: Caller
) -> dict[str, Any]:
    """Name, address, legal basis, members, issues (institution_updated) and status (institution_status_changed)."""
    given = changes.given()

    async def work(uow: UnitOfWork) -> dict[str, Any]:
        current = await get_scoped(mongo, INSTITUTIONS, institution_id, caller, "institution", uow)
        check_changeable(current["status"])
        fields = {k: v for k, v in given.items() if k != "status"}
        status = given.get("status", current["status"])
        check_status_change(current["status"], status)
        if not fields and status == current["status"]:
            return current  # nothing changes: no new version, no event
        # Each event is its own version: the fields change first, then the status.
        updated = {**current, **fields, "version": current["version"] + 1, "updated_at": now()}
        unset: dict[str, str] = {}
        if "name" in fields:
            updated["_name_key"] = name_key(updated["name"])
            existing = await find_duplicate(
                uow, current["kind"], current["region_code"], updated["_name_key"], institution_id
            )
            if existing:
                raise duplicate_conflict(existing)
            if "_dup_key" in current:
                updated["_dup_key"] = duplicate_key(current["kind"], current["region_code"], updated["_name_key"])
        if "member_ids" in fields:
            members = await member_views(uow, updated["member_ids"], caller)
            check_members(institution_id, current["kind"], current["region_code"], members)
        if fields:
            uow.emit(events.institution_updated(updated, caller.sub))
        else:
            updated["version"] = current["version"]
        if status != current["status"]:
            updated = {**updated, "status": status, "version": updated["version"] + 1}
            uow.emit(events.status_changed(updated, current["status"], caller.sub))
        if status == InstitutionStatus.DISSOLVED and "_dup_key" in updated:
            del updated["_dup_key"]  # the name is free again for a new body
            unset["_dup_key"] = ""
        change: dict[str, Any] = {"$set": {k: v for k, v in updated.items() if k != "_id"}}
        if unset:
            change["$unset"] = unset
        await uow.db[INSTITUTIONS].update_one({"_id": institution_id}, change, session=uow.session)
        return updated

    updated = await mongo.transact(work)
    log.info("institution.changed", institution_id=institution_id, fields=sorted(changes.model_fields_set))
    return updated


async def replace_board(
    mongo: Mongo, institution_id: str, replacement: BoardReplacement, caller: Caller
) -> dict[str, Any]:
    """A new kepengurusan: board_changed."""
    board = [seat.model_dump(mode="json") for seat in replacement.board]

    async def work(uow: UnitOfWork) -> dict[str, Any]:
        current = await get_scoped(mongo, INSTITUTIONS, institution_id, caller, "institution", uow)
        check_changeable(current["status"])
        updated = {**current, "board": board, "version": current["version"] + 1, "updated_at": now()}
        await uow.db[INSTITUTIONS].update_one(
            {"_id": institution_id},
            {"$set": {"board": board, "version": updated["version"], "updated_at": updated["updated_at"]}},
            session=uow.session,
        )
        uow.emit(events.board_changed(updated, caller.sub))
        return updated

    updated = await mongo.transact(work)
    log.info("institution.board_changed", institution_id=institution_id, seats=len(board))
    return updated


async def form_institution(mongo: Mongo, institution_id: str, formation: Formation, caller: Caller) -> dict[str, Any]:
    """Completes the penumbuhan of an initiated institution: <KIND>_formed, or a status change for other kinds."""

    async def work(uow: UnitOfWork) -> dict[str, Any]:
        current = await get_scoped(mongo, INSTITUTIONS, institution_id, caller, "institution", uow)
        check_formation(current["kind"], current["status"], board_members(current["board"]), current["member_ids"])
        members = await member_views(uow, current["member_ids"], caller)
        check_members(institution_id, current["kind"], current["region_code"], members)
        campaign = await cited(uow, CAMPAIGNS, formation.campaign_id)
        session = await cited(uow, SESSIONS, formation.session_id)
        check_citations(current["region_code"], formation, campaign, session)
        changes = {
            "status": InstitutionStatus.ACTIVE.value,
            "formation": formation.model_dump(mode="json"),
            "version": current["version"] + 1,
            "updated_at": now(),
        }
        # Guarded by the status read above: a concurrent formation makes this match nothing.
        done = await uow.db[INSTITUTIONS].update_one(
            {"_id": institution_id, "status": InstitutionStatus.INITIATED.value}, {"$set": changes}, session=uow.session
        )
        if done.modified_count != 1:
            raise Conflict("formation: the institution was formed meanwhile")
        updated = {**current, **changes}
        event_type = formed_event_type(current["kind"])
        if event_type:
            uow.emit(events.institution_formed(event_type, updated, caller.sub))
        else:
            uow.emit(events.status_changed(updated, current["status"], caller.sub))
        return updated

    updated = await mongo.transact(work)
    log.info(
        "institution.formed", institution_id=institution_id, kind=updated["kind"], region_code=updated["region_code"]
    )
    return updated
