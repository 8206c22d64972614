"""Events produced by notify: the outcome of a delivery."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from contracts.envelope import EventPayload
from contracts.events.common import Channel


class FailureReason(StrEnum):
    """Why a delivery failed, as `notification_failed` tells it: a category, never the server's words (an SMTP
    refusal quotes the mailbox). The detail stays in notify's delivery log (`GET /deliveries`)."""

    REFUSED = "refused"  # the mail server refused the recipient, the sender or the message
    REJECTED_4XX = "rejected_4xx"  # the webhook or SMS gateway answered 4xx (or a redirect, never followed)
    SERVER_5XX = "server_5xx"  # the webhook or SMS gateway answered 5xx
    UNREACHABLE = "unreachable"  # no connection, or it broke
    TIMEOUT = "timeout"
    BLOCKED_ADDRESS = "blocked_address"  # the webhook's host is, or resolves to, an address webhooks may not reach
    NOT_CONFIGURED = "not_configured"  # no SMS gateway, or the webhook was removed
    TEMPLATE = "template"  # the message could not be written: its template fails or needs a fact the event lacks
    INTERNAL = "internal"  # a fault in notify itself


# What the senders wrote before the categories, in the order to try (the first that appears in the text wins).
_OLD_TEXTS = (
    ("template", FailureReason.TEMPLATE),
    ("lacks the fact", FailureReason.TEMPLATE),
    ("webhook refused", FailureReason.BLOCKED_ADDRESS),
    ("no longer registered", FailureReason.NOT_CONFIGURED),
    ("no SMS gateway", FailureReason.NOT_CONFIGURED),
    ("Timeout", FailureReason.TIMEOUT),
    ("answered HTTP 5", FailureReason.SERVER_5XX),
    ("answered HTTP", FailureReason.REJECTED_4XX),
    ("unreachable", FailureReason.UNREACHABLE),
    ("SMTPConnect", FailureReason.UNREACHABLE),
    ("SMTPServerDisconnected", FailureReason.UNREACHABLE),
    ("OSError", FailureReason.UNREACHABLE),
    ("ConnectionRefusedError", FailureReason.UNREACHABLE),
    ("SMTP", FailureReason.REFUSED),
)


def failure_reason(reason: str) -> FailureReason:
    """The category of a `notification_failed` reason, also of one written before categories as free text (which
    may quote the address: a reader that keeps events keeps the category instead)."""
    if reason in FailureReason.__members__.values():
        return FailureReason(reason)
    return next((category for text, category in _OLD_TEXTS if text in reason), FailureReason.INTERNAL)


class NotificationSent(EventPayload):
    delivery_id: str
    channel: Channel
    template: str
    source_event_id: str
    source_event_type: str
    attempts: int = Field(ge=1)


class NotificationFailed(NotificationSent):
    # A plain string in the schema, not an enum: events written before the categories carry free text, and a
    # category added later must not make a reader refuse the event. Same field, same type: schema_version 1.
    reason: str = Field(
        description="why the delivery failed, one of: " + ", ".join(r.value for r in FailureReason) + " "
        "(events before November 2026 carried the server's text here; readers should treat an unknown value as "
        "`internal`)",
        examples=[FailureReason.REFUSED.value],
    )
