"""Delivery documents → the events notify emits (contracts/events/notify.py)."""

from __future__ import annotations

from typing import Any

from contracts.envelope import Envelope
from contracts.events.notify import FailureReason, NotificationFailed, NotificationSent
from pilar_runtime.events import new_event


def outcome_event(document: dict[str, Any], *, attempts: int, reason: FailureReason | None = None) -> Envelope:
    """`notification_sent`, or `notification_failed` with the reason's category, for a delivery document."""
    facts = {
        "delivery_id": document["_id"],
        "channel": document["channel"],
        "template": document["template"] or "default",
        "source_event_id": document["event_id"],
        "source_event_type": document["event_type"],
        "attempts": attempts,
    }
    payload = NotificationSent(**facts) if reason is None else NotificationFailed(**facts, reason=reason.value)
    return new_event(
        "notification_sent" if reason is None else "notification_failed",
        payload,
        actor="notify",
        region_code=document["region_code"],
        aggregate_id=document["_id"],
        aggregate_version=document["version"],
    )
