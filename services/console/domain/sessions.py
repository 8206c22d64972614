"""Signed-in sessions: a random id in an HttpOnly cookie, only its hash stored; idle and absolute timeouts.

The cookie carries the id; the database keeps ``sha256(id)``, so reading the sessions collection opens none.
Every session, signed in or not, holds a CSRF token that each form posts back.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

COOKIE = "pilar_session"


@dataclass(frozen=True)
class Timeouts:
    idle: timedelta
    absolute: timedelta


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def session_key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def expired(created_at: datetime, last_seen: datetime, now: datetime, timeouts: Timeouts) -> bool:
    return now - last_seen >= timeouts.idle or now - created_at >= timeouts.absolute


def expires_at(created_at: datetime, now: datetime, timeouts: Timeouts) -> datetime:
    """When the session ends unless used again: the idle timeout from now, never past the absolute one."""
    return min(now + timeouts.idle, created_at + timeouts.absolute)


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), str(given).encode())
