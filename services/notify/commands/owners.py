"""Who manages a webhook. One registered with an `integration` token belongs to that token's subject (`owner`):
the integration sees and changes only its own, within its region; staff writers of the region (and admins) see and
change all of them; viewers only read."""

from __future__ import annotations

from typing import Any

from pilar_runtime.auth import WRITERS, Caller, Role
from pilar_runtime.errors import Forbidden

MANAGERS = WRITERS | {Role.INTEGRATION}


def require_manager(caller: Caller) -> None:
    """Staff writers and integrations manage webhooks; viewers only read them."""
    if caller.role not in MANAGERS:
        raise Forbidden(f"role {caller.role} may not manage webhooks")


def managed_by(caller: Caller, webhook: dict[str, Any]) -> bool:
    """An integration has only the webhooks it registered; everyone else every webhook of their region."""
    return caller.role is not Role.INTEGRATION or webhook.get("owner") == caller.sub


def owner_filter(caller: Caller) -> dict[str, Any]:
    """The filter adding ownership to a list: an integration lists only its own."""
    return {"owner": caller.sub} if caller.role is Role.INTEGRATION else {}


def owner_of(caller: Caller) -> str | None:
    """Whom a newly registered webhook belongs to: the integration that registered it; staff webhooks have none."""
    return caller.sub if caller.role is Role.INTEGRATION else None
