"""Admins manage staff accounts: create (a one-time password shown once), change role and region, deactivate
(its sessions end), reset the password (a new one-time password, changed at the next sign-in). The first run
creates the first admin."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from pymongo.errors import DuplicateKeyError

from pilar_runtime.errors import Forbidden, NotFound
from pilar_runtime.mongo import Mongo, UnitOfWork
from services.console import events, store
from services.console.domain.accounts import (
    AccountError,
    checked_assignment,
    may_manage,
    new_user,
    one_time_password,
    refuse_outside_scope,
    refuse_own_change,
    user_document,
)
from services.console.domain.passwords import hash_password

log = structlog.get_logger("console.accounts")
FIRST_RUN_ACTOR = "console"


def _require_admin(actor: dict[str, Any], target: dict[str, Any] | None = None) -> None:
    if not may_manage(actor, target):
        raise Forbidden("only an admin manages the accounts of their region")


async def list_users(mongo: Mongo, actor: dict[str, Any]) -> list[dict[str, Any]]:
    _require_admin(actor)
    return await store.users(mongo, str(actor.get("region") or ""))


async def read_user(mongo: Mongo, actor: dict[str, Any], user_id: str) -> dict[str, Any]:
    found = await store.user(mongo, user_id)
    if found is None:
        raise NotFound(f"user {user_id} not found")
    _require_admin(actor, found)
    return found


async def create_user(
    mongo: Mongo, actor: dict[str, Any], *, name: str, email: str, role: str, region: str
) -> tuple[dict[str, Any], str]:
    """The new account and its one-time password (shown to the admin once, never stored in the clear)."""
    _require_admin(actor)
    wanted = new_user(name, email, role, region)
    refuse_outside_scope(actor, wanted.region)
    password = one_time_password()
    doc = user_document(wanted, await asyncio.to_thread(hash_password, password), actor["_id"], datetime.now(UTC))

    async def work(uow: UnitOfWork) -> None:
        await store.insert_user(uow, doc)
        uow.emit(events.user_created(doc, actor["_id"]))

    try:
        await mongo.transact(work)
    except DuplicateKeyError:
        raise AccountError("email", "Alamat e-mail ini sudah dipakai akun lain.") from None
    log.info("account.created", user_id=doc["_id"], role=doc["role"], region=doc["region"])
    return doc, password


async def change_assignment(
    mongo: Mongo, actor: dict[str, Any], user_id: str, *, role: str, region: str
) -> dict[str, Any]:
    before = await read_user(mongo, actor, user_id)
    checked_role, checked_region = checked_assignment(role, region)
    if (checked_role.value, checked_region) == (before["role"], before["region"]):
        return before
    refuse_own_change(actor, before, "mengubah peran")
    refuse_outside_scope(actor, checked_region)
    changes = {"role": checked_role.value, "region": checked_region, **_touched(actor)}

    async def work(uow: UnitOfWork) -> dict[str, Any]:
        after = await store.change_user(uow, user_id, changes)
        assert after is not None  # read above; accounts are never deleted
        uow.emit(events.user_role_changed(after, before, actor["_id"]))
        return after

    return await mongo.transact(work)


async def deactivate(mongo: Mongo, actor: dict[str, Any], user_id: str) -> dict[str, Any]:
    """The account can no longer sign in, and every session of it ends now."""
    before = await read_user(mongo, actor, user_id)
    refuse_own_change(actor, before, "menonaktifkan")
    if not before["active"]:
        return before

    async def work(uow: UnitOfWork) -> dict[str, Any]:
        after = await store.change_user(uow, user_id, {"active": False, **_touched(actor)})
        assert after is not None
        await store.end_sessions_of(uow, user_id)
        uow.emit(events.user_deactivated(after, actor["_id"]))
        return after

    return await mongo.transact(work)


async def reset_password(mongo: Mongo, actor: dict[str, Any], user_id: str) -> str:
    """A new one-time password for the account (its sessions end; it must choose its own at the next sign-in)."""
    target = await read_user(mongo, actor, user_id)
    refuse_own_change(actor, target, "mengatur ulang kata sandi")
    password = one_time_password()
    changes = {
        "password_hash": await asyncio.to_thread(hash_password, password),
        "must_change_password": True,
        "failures": [],
        "locked_until": None,
        **_touched(actor),
    }

    async def work(uow: UnitOfWork) -> None:
        await store.change_user(uow, user_id, changes)
        await store.end_sessions_of(uow, user_id)

    await mongo.transact(work)
    log.info("account.password_reset", user_id=user_id)
    return password


def _touched(actor: dict[str, Any]) -> dict[str, Any]:
    return {"updated_at": datetime.now(UTC), "updated_by": actor["_id"]}


async def ensure_first_admin(mongo: Mongo, email: str, password_file: Path) -> None:
    """With no account at all, create an admin whose one-time password goes to ``password_file`` (created 0600,
    for `pilar up` or the operator to read once and delete), never to the log."""
    if await store.any_user(mongo):
        return
    password = one_time_password()
    doc = user_document(
        new_user("Admin", email, "admin", ""), hash_password(password), FIRST_RUN_ACTOR, datetime.now(UTC)
    )

    async def work(uow: UnitOfWork) -> None:
        await store.insert_user(uow, doc)
        uow.emit(events.user_created(doc, FIRST_RUN_ACTOR))

    try:
        await mongo.transact(work)
    except DuplicateKeyError:
        return  # another replica made it first
    password_file.parent.mkdir(parents=True, exist_ok=True)
    with os.fdopen(os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
        out.write(f"{email}\n{password}\n")
    log.warning("account.first_admin_created", user_id=doc["_id"], password_file=str(password_file))
