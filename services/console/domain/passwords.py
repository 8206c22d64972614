"""Password hashing with Argon2id (argon2-cffi's defaults, RFC 9106's second recommended profile).

A hash made with weaker parameters than today's is renewed at the next successful sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
# Checked against when no account has the e-mail, so an unknown address costs as long as a wrong password.
_DECOY = _HASHER.hash("decoy-password-never-valid")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


@dataclass(frozen=True)
class Checked:
    ok: bool
    rehash: str | None = None  # the renewed hash to store, when the parameters have moved on


def check_password(stored: str | None, password: str) -> Checked:
    try:
        _HASHER.verify(stored or _DECOY, password)
    except (VerificationError, InvalidHashError):
        return Checked(False)
    if stored is None:
        return Checked(False)
    return Checked(True, hash_password(password) if _HASHER.check_needs_rehash(stored) else None)
