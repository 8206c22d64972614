"""The console's events: account changes for reporting's audit. Built from the stored account, never carrying
its e-mail address or anything of its password."""

from __future__ import annotations

from typing import Any

from contracts.envelope import Envelope, EventPayload
from contracts.events.console import UserCreated, UserDeactivated, UserRoleChanged
from pilar_runtime.events import new_event


def _envelope(event_type: str, payload: EventPayload, user: dict[str, Any], actor: str) -> Envelope:
    return new_event(
        event_type,
        payload,
        actor=actor,
        region_code=str(user["region"]),
        aggregate_id=str(user["_id"]),
        aggregate_version=int(user["version"]),
    )


def user_created(user: dict[str, Any], actor: str) -> Envelope:
    payload = UserCreated(user_id=user["_id"], name=user["name"], role=user["role"], region=user["region"], actor=actor)
    return _envelope("user_created", payload, user, actor)


def user_role_changed(user: dict[str, Any], before: dict[str, Any], actor: str) -> Envelope:
    payload = UserRoleChanged(
        user_id=user["_id"],
        role=user["role"],
        region=user["region"],
        previous_role=before["role"],
        previous_region=before["region"],
        actor=actor,
    )
    return _envelope("user_role_changed", payload, user, actor)


def user_deactivated(user: dict[str, Any], actor: str) -> Envelope:
    payload = UserDeactivated(user_id=user["_id"], role=user["role"], region=user["region"], actor=actor)
    return _envelope("user_deactivated", payload, user, actor)
