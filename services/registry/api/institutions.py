"""Institutions: registration, reads, changes, kepengurusan and formation."""

from __future__ import annotations

import re
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Query
from pymongo.errors import DuplicateKeyError

from contracts.events.common import InstitutionKind, InstitutionStatus
from pilar_runtime.api import PageDep, new_id, page_of, public
from pilar_runtime.auth import Caller, CallerDep, WriterDep
from pilar_runtime.errors import Conflict
from pilar_runtime.mongo import UnitOfWork
from pilar_runtime.service import Runtime, RuntimeDep
from services.registry import events
from services.registry.api.common import now, scope_filter, shown
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
from services.registry.store import (
    CAMPAIGNS,
    INSTITUTIONS,
    SESSIONS,
    cited,
    find_duplicate,
    get_scoped,
    member_views,
)

log = structlog.get_logger("registry.institutions")
router = APIRouter(prefix="/institutions", tags=["institutions"])


def duplicate_conflict(existing_id: str) -> Conflict:
    return Conflict(
        {
            "message": "an institution of this kind with this name already exists in this region "
            "(send allow_duplicate: true if this is deliberate)",
            "existing_id": existing_id,
        }
    )


async def register(runtime: Runtime, command: InstitutionRegistration, caller: Caller) -> dict[str, Any]:
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
        await runtime.mongo.transact(work)
    except DuplicateKeyError:  # a concurrent registration of the same name won the race
        key = document.get("_dup_key", "")
        found = await runtime.mongo.db[INSTITUTIONS].find_one({"_dup_key": key}, {"_id": 1})
        raise duplicate_conflict(str(found["_id"]) if found else "") from None
    log.info(
        "institution.registered", institution_id=document["_id"], kind=command.kind, region_code=command.region_code
    )
    return public(document)


@router.post("", status_code=201, summary="Register an institution (409 with existing_id for a duplicate)")
async def create(command: InstitutionRegistration, caller: WriterDep, runtime: RuntimeDep) -> dict[str, Any]:
    return await register(runtime, command, caller)


@router.get("", summary="Institutions in your region, filtered")
async def list_institutions(
    caller: CallerDep,
    runtime: RuntimeDep,
    page: PageDep,
    kind: InstitutionKind | None = None,
    status: InstitutionStatus | None = None,
    region: Annotated[str | None, Query(description="a region code: its whole subtree")] = None,
    q: Annotated[str | None, Query(max_length=200, description="text in the name")] = None,
) -> dict[str, Any]:
    query = scope_filter(caller, region)
    if kind:
        query["kind"] = kind.value
    if status:
        query["status"] = status.value
    if q:
        query["name"] = {"$regex": re.escape(q.strip()), "$options": "i"}
    return await page_of(
        runtime.mongo.db[INSTITUTIONS], query, page, [("created_at", 1), ("_id", 1)], show=lambda d: shown(caller, d)
    )


@router.get("/{institution_id}", summary="One institution")
async def get(institution_id: str, caller: CallerDep, runtime: RuntimeDep) -> dict[str, Any]:
    return shown(caller, await get_scoped(runtime, INSTITUTIONS, institution_id, caller, "institution"))


@router.patch("/{institution_id}", summary="Change name, address, legal basis, members, issues or status")
async def patch(
    institution_id: str, changes: InstitutionChanges, caller: WriterDep, runtime: RuntimeDep
) -> dict[str, Any]:
    given = changes.given()

    async def work(uow: UnitOfWork) -> dict[str, Any]:
        current = await get_scoped(runtime, INSTITUTIONS, institution_id, caller, "institution", uow)
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

    updated = await runtime.mongo.transact(work)
    log.info("institution.changed", institution_id=institution_id, fields=sorted(changes.model_fields_set))
    return public(updated)


@router.put("/{institution_id}/board", summary="Replace the kepengurusan (board)")
async def put_board(
    institution_id: str, replacement: BoardReplacement, caller: WriterDep, runtime: RuntimeDep
) -> dict[str, Any]:
    board = [seat.model_dump(mode="json") for seat in replacement.board]

    async def work(uow: UnitOfWork) -> dict[str, Any]:
        current = await get_scoped(runtime, INSTITUTIONS, institution_id, caller, "institution", uow)
        check_changeable(current["status"])
        updated = {**current, "board": board, "version": current["version"] + 1, "updated_at": now()}
        await uow.db[INSTITUTIONS].update_one(
            {"_id": institution_id},
            {"$set": {"board": board, "version": updated["version"], "updated_at": updated["updated_at"]}},
            session=uow.session,
        )
        uow.emit(events.board_changed(updated, caller.sub))
        return updated

    updated = await runtime.mongo.transact(work)
    log.info("institution.board_changed", institution_id=institution_id, seats=len(board))
    return public(updated)


@router.post("/{institution_id}/formation", summary="Complete the penumbuhan: emits <KIND>_formed")
async def form(institution_id: str, formation: Formation, caller: WriterDep, runtime: RuntimeDep) -> dict[str, Any]:
    async def work(uow: UnitOfWork) -> dict[str, Any]:
        current = await get_scoped(runtime, INSTITUTIONS, institution_id, caller, "institution", uow)
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

    updated = await runtime.mongo.transact(work)
    log.info(
        "institution.formed", institution_id=institution_id, kind=updated["kind"], region_code=updated["region_code"]
    )
    return public(updated)
