"""The ways a message leaves Pilar. Each sender raises DeliveryError with a reason a person can act on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class DeliveryError(Exception):
    """This attempt failed; the dispatcher retries with backoff until the last attempt."""


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
