"""A webhook managed by the district system it serves: what an update or a secret rotation changes, the keys that
sign its deliveries, the ping a test sends.

Rotating the secret keeps the old one signing beside the new for a grace period, so a receiver can switch without
losing a delivery (Standard Webhooks: several `v1,` signatures in one header).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pilar_runtime.errors import Conflict

SECRET_BYTES = 32


def secret_of(random_bytes: bytes) -> str:
    """A secret in the Standard Webhooks form, `whsec_<base64>`."""
    return "whsec_" + base64.b64encode(random_bytes).decode()


def _stamped(
    document: dict[str, Any], changes: dict[str, Any], stamp: str, actor: str, now: datetime
) -> dict[str, Any]:
    if document.get("deleted_at") is not None:
        raise Conflict({"rule": "webhook_deleted", "message": "the webhook was deleted; it can no longer change"})
    return {**changes, f"{stamp}_at": now, f"{stamp}_by": actor, "version": int(document.get("version", 1)) + 1}


def updated(document: dict[str, Any], changes: dict[str, Any], actor: str, now: datetime) -> dict[str, Any]:
    """The fields an update sets (url, event patterns, description), with who did it and when."""
    return _stamped(document, changes, "updated", actor, now)


def rotated(
    document: dict[str, Any], new_secret: str, old_secret: str, actor: str, now: datetime, grace: timedelta
) -> dict[str, Any]:
    """A new secret; the old one keeps signing beside it until `now + grace` (no grace: it stops at once)."""
    keep_old = grace > timedelta(0)
    changes = {
        "secret": new_secret,
        "previous_secret": old_secret if keep_old else None,
        "previous_secret_until": now + grace if keep_old else None,
    }
    return _stamped(document, changes, "secret_rotated", actor, now)


@dataclass(frozen=True)
class Keys:
    """Where a webhook's deliveries go now (a delivery recorded before a URL change follows the webhook), what signs
    them, and whether it is paused."""

    url: str
    secret: str
    previous: str | None
    paused: bool
    deleted: bool = False  # its waiting deliveries are failed at their next turn, not sent

    @classmethod
    def of(cls, document: dict[str, Any], now: datetime) -> Keys:
        until = document.get("previous_secret_until")
        previous = document.get("previous_secret") if until is not None and until > now else None
        paused, deleted = bool(document.get("paused", False)), document.get("deleted_at") is not None
        return cls(document["url"], document["secret"], previous, paused, deleted)


def ping_body(webhook_id: str, now: datetime) -> bytes:
    """The body of a test: type `ping`, nothing else a receiver could mistake for an event."""
    return json.dumps({"type": "ping", "webhook_id": webhook_id, "sent_at": now.isoformat()}).encode()
