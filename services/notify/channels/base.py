"""What every channel shares: the message handed to a sender, the failure it raises, and the `Sender` protocol."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol, Self

from contracts.events.notify import FailureReason

if TYPE_CHECKING:
    from services.notify.settings import NotifySettings


class DeliveryError(Exception):
    """This attempt failed; the dispatcher retries on its schedule until the last attempt. The reason is the
    category the event tells; the message is a detail a person can act on (kept in the delivery log only: it may
    quote the address)."""

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
    previous_secret: str | None = None  # a rotated-out secret still in its grace period


class Sender(Protocol):
    # A channel that may wake people (SMS) waits through the quiet hours: planned in them, a delivery is due at
    # their end, and one that comes due in them is held again.
    quiet_hours: ClassVar[bool]

    @classmethod
    def from_settings(cls, settings: NotifySettings) -> Self: ...

    async def send(self, message: Outgoing) -> None: ...

    async def close(self) -> None: ...
