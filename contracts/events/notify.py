"""Events produced by notify: the outcome of a delivery."""

from __future__ import annotations

from pydantic import Field

from contracts.envelope import EventPayload
from contracts.events.common import Channel


class NotificationSent(EventPayload):
    delivery_id: str
    channel: Channel
    template: str
    source_event_id: str
    source_event_type: str
    attempts: int = Field(ge=1)


class NotificationFailed(NotificationSent):
    reason: str
