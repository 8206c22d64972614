"""The ways a message leaves Pilar. A channel is one module (a `Sender`) plus one entry in `CHANNELS`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.notify.channels.base import DeliveryError, Outgoing, Sender
from services.notify.channels.email import EmailSender
from services.notify.channels.sms import SmsSender
from services.notify.channels.webhook import WebhookSender

if TYPE_CHECKING:
    from services.notify.settings import NotifySettings

__all__ = ["CHANNELS", "DeliveryError", "Outgoing", "Sender", "held_in_quiet_hours", "senders"]

CHANNELS: dict[str, type[Sender]] = {"email": EmailSender, "webhook": WebhookSender, "sms": SmsSender}


def senders(settings: NotifySettings) -> dict[str, Sender]:
    """One sender per channel, configured from the settings."""
    return {name: channel.from_settings(settings) for name, channel in CHANNELS.items()}


def held_in_quiet_hours(channel: str) -> bool:
    return CHANNELS[channel].quiet_hours
