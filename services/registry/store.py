"""The registry's collections and indexes, and the scoped reads every route shares."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING

from pilar_runtime.auth import Caller
from pilar_runtime.errors import NotFound
from pilar_runtime.mongo import UnitOfWork
from pilar_runtime.service import Runtime
from services.registry.domain.institutions import Cited, MemberView

INSTITUTIONS = "institutions"
WORKERS = "workers"
REGULATIONS = "community_regulations"
IMPORTS = "imports"
# Outreach's campaigns and sessions as far as formation needs them (id → region), kept from outreach's events.
CAMPAIGNS = "campaigns"
SESSIONS = "sessions"


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


async def get_scoped(
    runtime: Runtime, collection: str, doc_id: str, caller: Caller, what: str, uow: UnitOfWork | None = None
) -> dict[str, Any]:
    """The document if it exists (404) and lies in the caller's region (403)."""
    session = uow.session if uow else None
    document = await runtime.mongo.db[collection].find_one({"_id": doc_id}, session=session)
    if document is None:
        raise NotFound(f"{what} {doc_id} does not exist")
    caller.require_record(document["region_code"], what, doc_id)
    return document


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


async def cited(uow: UnitOfWork, collection: str, ref_id: str | None) -> Cited | None:
    """The campaign or session a formation cites, as the registry knows it; None when not cited or not known."""
    if not ref_id:
        return None
    found = await uow.db[collection].find_one({"_id": ref_id}, session=uow.session)
    return Cited(ref_id, found["region_code"], found.get("campaign_id")) if found else None
