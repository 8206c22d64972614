"""The ways a message leaves Pilar. Each sender raises DeliveryError with a category (the event's `reason`) and a
detail a person can act on (kept in the delivery log only: it may quote the address)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from contracts.events.notify import FailureReason


class DeliveryError(Exception):
    """This attempt failed; the dispatcher retries with backoff until the last attempt."""

    def __init__(self, reason: FailureReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True)
class Outgoing:
    delivery_id: str
    channel: str
    recipient: str
    subject: str
    body: str
    event_id: str
    event_type: str
    secret: str | None = None  # webhooks only; never logged


class Sender(Protocol):
    async def send(self, message: Outgoing) -> None: ...

    async def close(self) -> None: ...
