"""The registry's collections and indexes, and the queries the commands and the routes' reads share."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pymongo import ASCENDING

from pilar_runtime.api import page_of
from pilar_runtime.auth import Caller
from pilar_runtime.models import PageParams
from pilar_runtime.mongo import Mongo, UnitOfWork
from pilar_runtime.service import Runtime
from services.registry.domain.institutions import Cited, MemberView

INSTITUTIONS = "institutions"
WORKERS = "workers"
REGULATIONS = "community_regulations"
IMPORTS = "imports"
ACTIVITIES = "institution_activities"
# Outreach's campaigns and sessions as far as formation needs them (id → region), kept from outreach's events.
CAMPAIGNS = "campaigns"
SESSIONS = "sessions"

Show = Callable[[dict[str, Any]], dict[str, Any]]


async def ensure_indexes(runtime: Runtime) -> None:
    db = runtime.mongo.db
    await db[INSTITUTIONS].create_index([("region_code", ASCENDING), ("kind", ASCENDING)])
    # Serves the duplicate check (all three equal) and the import's look-up by name key alone.
    await db[INSTITUTIONS].create_index([("_name_key", ASCENDING), ("kind", ASCENDING), ("region_code", ASCENDING)])
    # Guards duplicate registrations racing each other; deliberate duplicates carry no key.
    await db[INSTITUTIONS].create_index("_dup_key", unique=True, sparse=True)
    await db[WORKERS].create_index([("region_code", ASCENDING), ("role", ASCENDING)])
    await db[WORKERS].create_index("_nik_key", unique=True, sparse=True)
    await db[REGULATIONS].create_index([("region_code", ASCENDING), ("adopted_on", ASCENDING)])
    await db[ACTIVITIES].create_index([("institution_id", ASCENDING), ("date", ASCENDING)])


# --- records by id -----------------------------------------------------------------------------------------------


async def get_scoped(
    mongo: Mongo, collection: str, doc_id: str, caller: Caller, what: str, uow: UnitOfWork | None = None
) -> dict[str, Any]:
    """The document if it exists (404) and lies in the caller's region (403)."""
    session = uow.session if uow else None
    return caller.visible(await mongo.db[collection].find_one({"_id": doc_id}, session=session), what, doc_id)


async def member_views(uow: UnitOfWork, ids: list[str], caller: Caller) -> dict[str, MemberView | None]:
    """Member institutions by id; one outside the caller's region counts as unknown (it is not theirs to cite)."""
    found = uow.db[INSTITUTIONS].find(
        {"_id": {"$in": ids}}, {"kind": 1, "region_code": 1, "status": 1}, session=uow.session
    )
    views = {
        d["_id"]: MemberView(d["_id"], d["kind"], d["region_code"], d["status"])
        async for d in found
        if caller.can_see(d["region_code"])
    }
    return {member_id: views.get(member_id) for member_id in ids}


async def find_duplicate(
    uow: UnitOfWork, kind: str, region_code: str, key: str, exclude_id: str | None = None
) -> str | None:
    """The id of a live institution with the same kind, desa and normalised name."""
    query: dict[str, Any] = {"kind": kind, "region_code": region_code, "_name_key": key, "status": {"$ne": "dissolved"}}
    if exclude_id:
        query["_id"] = {"$ne": exclude_id}
    found = await uow.db[INSTITUTIONS].find_one(query, {"_id": 1}, session=uow.session)
    return str(found["_id"]) if found else None


async def holder_of_duplicate_key(mongo: Mongo, key: str) -> str | None:
    """The institution that holds a duplicate key (the one that won a race of two registrations)."""
    found = await mongo.db[INSTITUTIONS].find_one({"_dup_key": key}, {"_id": 1})
    return str(found["_id"]) if found else None


async def cited(uow: UnitOfWork, collection: str, ref_id: str | None) -> Cited | None:
    """The campaign or session a formation cites, as the registry knows it; None when not cited or not known."""
    if not ref_id:
        return None
    found = await uow.db[collection].find_one({"_id": ref_id}, session=uow.session)
    return Cited(ref_id, found["region_code"], found.get("campaign_id")) if found else None


async def registered_workers(mongo: Mongo, nik_keys: list[str]) -> dict[str, tuple[str, str]]:
    """NIK key → (id, region) of the workers already registered with one of these NIKs."""
    found = mongo.db[WORKERS].find({"_nik_key": {"$in": nik_keys}}, {"_nik_key": 1, "region_code": 1})
    return {d["_nik_key"]: (d["_id"], d["region_code"]) async for d in found}


async def registered_institutions(mongo: Mongo, name_keys: list[str]) -> dict[str, tuple[str, str]]:
    """Duplicate key → (id, region) of the live institutions bearing one of these name keys."""
    found = mongo.db[INSTITUTIONS].find(
        {"_name_key": {"$in": name_keys}, "status": {"$ne": "dissolved"}}, {"kind": 1, "region_code": 1, "_name_key": 1}
    )
    return {f"{d['kind']}|{d['region_code']}|{d['_name_key']}": (d["_id"], d["region_code"]) async for d in found}


# --- lists -------------------------------------------------------------------------------------------------------


def _name_contains(text: str) -> dict[str, Any]:
    return {"$regex": re.escape(text.strip()), "$options": "i"}


async def institutions_page(
    mongo: Mongo,
    scope: dict[str, Any],
    page: PageParams,
    show: Show,
    *,
    kind: str | None = None,
    status: str | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    query = dict(scope)
    if kind:
        query["kind"] = kind
    if status:
        query["status"] = status
    if name:
        query["name"] = _name_contains(name)
    return await page_of(mongo.db[INSTITUTIONS], query, page, [("created_at", 1), ("_id", 1)], show=show)


async def workers_page(
    mongo: Mongo,
    scope: dict[str, Any],
    page: PageParams,
    show: Show,
    *,
    role: str | None = None,
    active: bool | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    query = dict(scope)
    if role:
        query["role"] = role
    if active is not None:
        query["active"] = active
    if name:
        query["name"] = _name_contains(name)
    return await page_of(mongo.db[WORKERS], query, page, [("created_at", 1), ("_id", 1)], show=show)


async def regulations_page(
    mongo: Mongo, scope: dict[str, Any], page: PageParams, *, topic: str | None = None, status: str | None = None
) -> dict[str, Any]:
    query = dict(scope)
    if topic:
        query["topics"] = topic
    if status == "in_force":  # regulations recorded before revocation existed carry no status: in force
        query["status"] = {"$ne": "revoked"}
    elif status:
        query["status"] = status
    return await page_of(mongo.db[REGULATIONS], query, page, [("adopted_on", 1), ("_id", 1)])


async def imports_page(mongo: Mongo, scope: dict[str, Any], page: PageParams, show: Show) -> dict[str, Any]:
    """Import jobs, newest first, without their error lists."""
    return await page_of(
        mongo.db[IMPORTS], scope, page, [("created_at", -1), ("_id", 1)], projection={"errors": 0}, show=show
    )


async def activities_page(mongo: Mongo, institution_id: str, page: PageParams) -> dict[str, Any]:
    """An institution's activities, newest first."""
    sort = [("date", -1), ("created_at", -1), ("_id", 1)]
    return await page_of(mongo.db[ACTIVITIES], {"institution_id": institution_id}, page, sort)


async def status_figures(runtime: Runtime) -> dict[str, int | str | None]:
    """The registry's line in ``pilar status``: imports running now (a stalled one included until it is seen)."""
    return {"running_imports": await runtime.mongo.db[IMPORTS].count_documents({"status": "running"})}
