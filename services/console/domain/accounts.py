"""Staff accounts: who may be given which role and region, the password policy, and what an admin may change.

Admins (national, or of a region) manage the accounts; nobody else does. An admin cannot deactivate or demote
their own account, so the office never locks out its last admin by a slip of the hand.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pilar_runtime.regions import RegionError, require
from pilar_runtime.roles import Role

MIN_PASSWORD_LENGTH = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

ROLE_NAMES = {
    Role.ADMIN: "Admin",
    Role.PROVINCE_OPERATOR: "Operator provinsi",
    Role.DISTRICT_OPERATOR: "Operator kabupaten/kota",
    Role.VIEWER: "Pemantau",
    Role.INTEGRATION: "Integrasi sistem",
}


class AccountError(ValueError):
    """Input an account cannot take; ``field`` names the form field, the message is Indonesian."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def email_key(email: str) -> str:
    """The form an e-mail address is unique in: case does not make another person."""
    return email.strip().casefold()


def checked_email(email: str) -> str:
    text = email.strip()
    if not _EMAIL.match(text) or len(text) > 254:
        raise AccountError("email", "Alamat e-mail tidak valid.")
    return text


def checked_name(name: str) -> str:
    text = " ".join(name.split())
    if not 2 <= len(text) <= 120:
        raise AccountError("name", "Nama wajib diisi (2–120 karakter).")
    return text


def checked_assignment(role: str, region: str) -> tuple[Role, str]:
    """The role and the dotted region it is limited to: every role but admin needs a region (as tokens do)."""
    try:
        known = Role(role)
    except ValueError:
        raise AccountError("role", "Peran tidak dikenal.") from None
    code = region.strip()
    if not code:
        if known is not Role.ADMIN:
            raise AccountError("region", "Wilayah wajib diisi untuk peran selain admin.")
        return known, ""
    try:
        return known, require(code)
    except RegionError:
        raise AccountError("region", f"Kode wilayah {code[:20]} tidak ada dalam referensi Kemendagri.") from None


def password_problem(password: str, *, email: str, name: str) -> str | None:
    """Why a new password is refused (Indonesian), or None: long enough, and not the e-mail or the name."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Kata sandi minimal {MIN_PASSWORD_LENGTH} karakter."
    lowered = password.casefold()
    guessable = {email_key(email), email_key(email).split("@")[0], " ".join(name.split()).casefold()}
    guessable |= {part for part in name.casefold().split() if len(part) >= 4}
    if any(word and (lowered == word or lowered.replace(" ", "") == word.replace(" ", "")) for word in guessable):
        return "Kata sandi tidak boleh sama dengan e-mail atau nama."
    if len(set(password)) < 4:
        return "Kata sandi terlalu mudah ditebak."
    return None


def one_time_password() -> str:
    """A password handed over once (a new account, a reset): 16 URL-safe characters, changed at first login."""
    return secrets.token_urlsafe(12)


def new_user_id() -> str:
    return f"usr_{secrets.token_hex(8)}"


@dataclass(frozen=True)
class NewUser:
    name: str
    email: str
    role: Role
    region: str


def new_user(name: str, email: str, role: str, region: str) -> NewUser:
    checked_role, checked_region = checked_assignment(role, region)
    return NewUser(checked_name(name), checked_email(email), checked_role, checked_region)


def user_document(user: NewUser, password_hash: str, actor: str, now: datetime) -> dict[str, Any]:
    return {
        "_id": new_user_id(),
        "name": user.name,
        "email": user.email,
        "email_key": email_key(user.email),
        "role": user.role.value,
        "region": user.region,
        "active": True,
        "must_change_password": True,
        "password_hash": password_hash,
        "failures": [],
        "locked_until": None,
        "version": 1,
        "created_at": now,
        "created_by": actor,
        "updated_at": now,
        "updated_by": actor,
    }


def may_manage(actor: dict[str, Any], target: dict[str, Any] | None = None) -> bool:
    """An admin manages the accounts of their scope (a regional admin: accounts inside their region)."""
    if actor.get("role") != Role.ADMIN:
        return False
    scope = str(actor.get("region") or "")
    if target is None or not scope:
        return True
    region = str(target.get("region") or "")
    return region == scope or region.startswith(f"{scope}.")


def refuse_own_change(actor: dict[str, Any], target: dict[str, Any], what: str) -> None:
    if actor["_id"] == target["_id"]:
        raise AccountError("user", f"Anda tidak dapat {what} akun Anda sendiri.")


def refuse_outside_scope(actor: dict[str, Any], region: str) -> None:
    """A regional admin gives only regions inside their own, and never a national (empty) one."""
    scope = str(actor.get("region") or "")
    if scope and not (region == scope or region.startswith(f"{scope}.")):
        raise AccountError("region", "Wilayah berada di luar cakupan Anda.")
