"""Lockout after repeated failed sign-ins: 5 failures within 15 minutes lock the account for 15 minutes.

While locked even the right password is refused, with the same message as a wrong one, so the answer never tells
whether an address has an account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
LOCK = timedelta(minutes=15)


@dataclass(frozen=True)
class Attempts:
    failures: tuple[datetime, ...]
    locked_until: datetime | None


def is_locked(attempts: Attempts, now: datetime) -> bool:
    return attempts.locked_until is not None and now < attempts.locked_until


def after_failure(attempts: Attempts, now: datetime) -> Attempts:
    """The failures still inside the window, this one added; locked when they reach ``MAX_FAILURES``."""
    recent = (*(t for t in attempts.failures if now - t < WINDOW), now)
    if len(recent) >= MAX_FAILURES:
        return Attempts((), now + LOCK)
    return Attempts(recent, attempts.locked_until if is_locked(attempts, now) else None)


def after_success() -> Attempts:
    return Attempts((), None)
