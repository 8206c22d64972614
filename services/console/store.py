"""The console's collections: staff accounts (``users``) and signed-in sessions (``sessions``)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, ReturnDocument

from pilar_runtime.mongo import Mongo, UnitOfWork
from pilar_runtime.service import Runtime
from services.console.domain.lockout import Attempts

USERS = "users"
SESSIONS = "sessions"


async def ensure_indexes(runtime: Runtime) -> None:
    db = runtime.mongo.db
    await db[USERS].create_index("email_key", unique=True)
    await db[USERS].create_index([("region", ASCENDING), ("name", ASCENDING)])
    await db[SESSIONS].create_index("user_id")
    # The server removes a session once it has expired; reads check the time too, so none outlives its timeout.
    await db[SESSIONS].create_index("expires_at", expireAfterSeconds=0)


async def any_user(mongo: Mongo) -> bool:
    return await mongo.db[USERS].find_one({}, {"_id": 1}) is not None


async def user(mongo: Mongo, user_id: str) -> dict[str, Any] | None:
    return await mongo.db[USERS].find_one({"_id": user_id})


async def user_by_email(mongo: Mongo, key: str) -> dict[str, Any] | None:
    return await mongo.db[USERS].find_one({"email_key": key})


async def users(mongo: Mongo, scope: str, limit: int = 500) -> list[dict[str, Any]]:
    """The accounts inside ``scope`` (every one for ""), active first, by name."""
    query = {"region": {"$regex": f"^{re.escape(scope)}(\\.|$)"}} if scope else {}
    cursor = mongo.db[USERS].find(query).sort([("active", -1), ("name", 1)]).limit(limit)
    return [doc async for doc in cursor]


async def insert_user(uow: UnitOfWork, doc: dict[str, Any]) -> None:
    await uow.db[USERS].insert_one(doc, session=uow.session)


async def change_user(uow: UnitOfWork, user_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    """Apply ``changes`` and count a version; the account as it is now, or None when there is none."""
    return await uow.db[USERS].find_one_and_update(
        {"_id": user_id},
        {"$set": changes, "$inc": {"version": 1}},
        return_document=ReturnDocument.AFTER,
        session=uow.session,
    )


async def keep_attempts(mongo: Mongo, user_id: str, attempts: Attempts, extra: dict[str, Any] | None = None) -> None:
    """Failed sign-ins and the lock they led to (not an account change: no version, no event)."""
    fields = {"failures": list(attempts.failures), "locked_until": attempts.locked_until, **(extra or {})}
    await mongo.db[USERS].update_one({"_id": user_id}, {"$set": fields})


async def insert_session(mongo: Mongo, doc: dict[str, Any]) -> None:
    await mongo.db[SESSIONS].insert_one(doc)


async def session(mongo: Mongo, key: str) -> dict[str, Any] | None:
    return await mongo.db[SESSIONS].find_one({"_id": key})


async def touch_session(mongo: Mongo, key: str, now: datetime, expires_at: datetime) -> None:
    await mongo.db[SESSIONS].update_one({"_id": key}, {"$set": {"last_seen": now, "expires_at": expires_at}})


async def delete_session(mongo: Mongo, key: str) -> None:
    await mongo.db[SESSIONS].delete_one({"_id": key})


async def end_sessions_of(uow: UnitOfWork, user_id: str, keep: str | None = None) -> None:
    """End every session of an account (deactivated, password reset), except ``keep`` (the one changing it)."""
    query: dict[str, Any] = {"user_id": user_id}
    if keep is not None:
        query["_id"] = {"$ne": keep}
    await uow.db[SESSIONS].delete_many(query, session=uow.session)


async def keep_pending_sign_in(mongo: Mongo, key: str, pending: dict[str, str]) -> None:
    """An OpenID Connect sign-in under way: its state, nonce and PKCE verifier, kept in the session only."""
    await mongo.db[SESSIONS].update_one({"_id": key}, {"$set": {"oidc": pending}})


async def take_pending_sign_in(mongo: Mongo, key: str) -> dict[str, str] | None:
    """The sign-in under way, removed as it is read: one return from the provider per start."""
    found = await mongo.db[SESSIONS].find_one_and_update({"_id": key}, {"$unset": {"oidc": ""}})
    return found.get("oidc") if found else None


async def provider_account(
    uow: UnitOfWork, on_insert: dict[str, Any], now_as: dict[str, Any]
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """A provider's person's account: created at the first sign-in, its name, role and region renewed at each
    (the provider says who they are now); an admin's deactivation stays. The account before (None: new) and after."""
    before: dict[str, Any] | None = await uow.db[USERS].find_one_and_update(
        {"_id": on_insert["_id"]},
        {"$setOnInsert": on_insert, "$set": now_as},
        upsert=True,
        return_document=ReturnDocument.BEFORE,
        session=uow.session,
    )
    return before, {**(before or on_insert), **now_as}
