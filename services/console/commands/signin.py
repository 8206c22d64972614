"""Signing in and out, the session a request carries, and changing one's own password."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog

from pilar_runtime.mongo import Mongo, UnitOfWork
from services.console import store
from services.console.domain.accounts import AccountError, email_key, password_problem
from services.console.domain.lockout import Attempts, after_failure, after_success, is_locked
from services.console.domain.passwords import check_password, hash_password
from services.console.domain.sessions import (
    Timeouts,
    expired,
    expires_at,
    new_csrf_token,
    new_session_id,
    session_key,
)

log = structlog.get_logger("console.signin")


class SignInRefused(Exception):
    """Wrong e-mail or password, an inactive or a locked account: one answer for all, naming none of them."""


@dataclass(frozen=True)
class Visit:
    """The session a request carries (its id from the cookie) and, once signed in, its account."""

    session_id: str
    csrf: str
    user: dict[str, Any] | None

    @property
    def key(self) -> str:
        return session_key(self.session_id)


async def open_session(mongo: Mongo, timeouts: Timeouts, user_id: str | None = None) -> Visit:
    session_id, now, csrf = new_session_id(), datetime.now(UTC), new_csrf_token()
    doc = {
        "_id": session_key(session_id),
        "user_id": user_id,
        "csrf": csrf,
        "created_at": now,
        "last_seen": now,
        "expires_at": expires_at(now, now, timeouts),
    }
    await store.insert_session(mongo, doc)
    return Visit(session_id, csrf, None)


async def visit(mongo: Mongo, session_id: str | None, timeouts: Timeouts) -> Visit | None:
    """The live session the cookie names, with its active account; None when there is none (or it timed out)."""
    if not session_id:
        return None
    key, now = session_key(session_id), datetime.now(UTC)
    found = await store.session(mongo, key)
    if found is None:
        return None
    if expired(found["created_at"], found["last_seen"], now, timeouts):
        await store.delete_session(mongo, key)
        return None
    user = await store.user(mongo, found["user_id"]) if found.get("user_id") else None
    if found.get("user_id") and (user is None or not user["active"]):
        await store.delete_session(mongo, key)
        return None
    await store.touch_session(mongo, key, now, expires_at(found["created_at"], now, timeouts))
    return Visit(session_id, found["csrf"], user)


async def sign_in(mongo: Mongo, email: str, password: str, previous: Visit | None, timeouts: Timeouts) -> Visit:
    """A new session for the account (the one before it ends: no session fixation); SignInRefused otherwise."""
    user = await store.user_by_email(mongo, email_key(email))
    # Argon2 costs tens of milliseconds of CPU on purpose: off the event loop, so other pages keep answering.
    checked = await asyncio.to_thread(check_password, user["password_hash"] if user else None, password)
    now = datetime.now(UTC)
    if user is None:
        raise SignInRefused
    attempts = Attempts(tuple(user.get("failures") or ()), user.get("locked_until"))
    if is_locked(attempts, now) or not user["active"]:
        log.info("signin.refused", user_id=user["_id"], reason="locked" if user["active"] else "inactive")
        raise SignInRefused
    if not checked.ok:
        attempts = after_failure(attempts, now)
        await store.keep_attempts(mongo, user["_id"], attempts)
        log.info("signin.failed", user_id=user["_id"], locked=attempts.locked_until is not None)
        raise SignInRefused
    await store.keep_attempts(
        mongo, user["_id"], after_success(), {"password_hash": checked.rehash} if checked.rehash else None
    )
    if previous is not None:
        await store.delete_session(mongo, previous.key)
    opened = await open_session(mongo, timeouts, user["_id"])
    log.info("signin.ok", user_id=user["_id"])
    return Visit(opened.session_id, opened.csrf, user)


async def sign_out(mongo: Mongo, current: Visit) -> None:
    await store.delete_session(mongo, current.key)


async def change_password(mongo: Mongo, current: Visit, *, old: str, new: str, repeated: str) -> None:
    """The signed-in user's new password: the current one is asked for; every other session of theirs ends."""
    user = current.user
    assert user is not None  # pages ask for a signed-in visit first
    if not (await asyncio.to_thread(check_password, user["password_hash"], old)).ok:
        raise AccountError("current_password", "Kata sandi saat ini salah.")
    if new != repeated:
        raise AccountError("repeated_password", "Ulangan kata sandi tidak sama.")
    if new == old:
        raise AccountError("new_password", "Kata sandi baru harus berbeda dari yang lama.")
    if problem := password_problem(new, email=user["email"], name=user["name"]):
        raise AccountError("new_password", problem)
    changes = {
        "password_hash": await asyncio.to_thread(hash_password, new),
        "must_change_password": False,
        "updated_at": datetime.now(UTC),
        "updated_by": user["_id"],
    }

    async def work(uow: UnitOfWork) -> None:
        await store.change_user(uow, user["_id"], changes)
        await store.end_sessions_of(uow, user["_id"], keep=current.key)

    await mongo.transact(work)
    log.info("account.password_changed", user_id=user["_id"])
