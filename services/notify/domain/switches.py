"""Turning a rule or a webhook off and on, pausing a webhook, and deleting either: what each action changes on the
record, who did it and when. A disabled or deleted one plans no more deliveries; a deleted one stays on record (who
deleted it, when) and can no longer be turned on. A paused webhook still has deliveries planned, but none is sent
until it is resumed: they wait, not lost."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pilar_runtime.errors import Conflict


class Action(StrEnum):
    DISABLE = "disable"
    ENABLE = "enable"
    DELETE = "delete"
    PAUSE = "pause"
    RESUME = "resume"


# What an action sets besides `active`: the fields recording who did it and when.
_STAMPS = {Action.DISABLE: "disabled", Action.ENABLE: "enabled", Action.DELETE: "deleted", Action.PAUSE: "paused",
           Action.RESUME: "resumed"}  # fmt: skip
# The flag an action sets, and to what.
_FLAGS = {Action.DISABLE: ("active", False), Action.ENABLE: ("active", True), Action.DELETE: ("active", False),
          Action.PAUSE: ("paused", True), Action.RESUME: ("paused", False)}  # fmt: skip


def is_active(document: dict[str, Any]) -> bool:
    """Rules stored before they could be disabled carry no `active`: they are active."""
    return bool(document.get("active", True))


def switched(document: dict[str, Any], action: Action, actor: str, now: datetime, what: str) -> dict[str, Any] | None:
    """The fields the action changes, or None when it changes nothing (disabling a disabled rule, deleting a deleted
    one: asked twice, done once). `what` is `rule` or `webhook`; a deleted one cannot be disabled or enabled (409)."""
    deleted = document.get("deleted_at") is not None
    if deleted and action != Action.DELETE:
        raise Conflict({"rule": f"{what}_deleted", "message": f"the {what} was deleted; it can no longer {action}"})
    flag, value = _FLAGS[action]
    current = is_active(document) if flag == "active" else bool(document.get("paused", False))
    if deleted or (action != Action.DELETE and current == value):  # deleting a disabled one still deletes it
        return None
    stamp = _STAMPS[action]
    return {
        flag: value,
        f"{stamp}_at": now,
        f"{stamp}_by": actor,
        "version": int(document.get("version", 1)) + 1,
    }
