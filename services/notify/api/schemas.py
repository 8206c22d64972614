"""The answers of notify's API. Stored documents may carry fields not named here: they are shown as stored.
Fields are declared in the order documents are stored in, so answers read as they always did."""

from __future__ import annotations

from pydantic import Field

from pilar_runtime.models import Timestamp, View


class Switches(View):
    """Who turned a rule or webhook off or on, or deleted it, and when (the latest of each)."""

    disabled_at: Timestamp | None = None
    disabled_by: str | None = None
    enabled_at: Timestamp | None = None
    enabled_by: str | None = None
    deleted_at: Timestamp | None = None
    deleted_by: str | None = None


class StoredRule(Switches):
    event_pattern: str
    region_code: str
    channel: str
    recipients: list[str]
    template: str | None = None
    description: str | None = None
    active: bool | None = Field(None, description="false once disabled or deleted: it plans no deliveries")
    created_by: str | None = None
    created_at: Timestamp | None = None
    version: int | None = None
    id: str


class DefaultRule(View):
    id: str
    event_pattern: str
    region_code: str
    channel: str
    recipients: list[str]
    template: str | None = None


class Webhook(Switches):
    url: str
    event_patterns: list[str]
    region_code: str
    description: str | None = None
    active: bool | None = Field(None, description="false once disabled or deleted: it is sent nothing new")
    owner: str | None = Field(
        None, description="the integration (token subject) that registered it and alone manages it; none: staff's"
    )
    created_by: str | None = None
    created_at: Timestamp | None = None
    version: int | None = None
    paused: bool | None = Field(None, description="true while paused: deliveries are planned but wait, unsent")
    paused_at: Timestamp | None = None
    paused_by: str | None = None
    resumed_at: Timestamp | None = None
    resumed_by: str | None = None
    updated_at: Timestamp | None = None
    updated_by: str | None = None
    secret_rotated_at: Timestamp | None = None
    secret_rotated_by: str | None = None
    previous_secret_until: Timestamp | None = Field(
        None, description="after a rotation, the old secret also signs every delivery until then"
    )
    id: str
    secret_set: bool


class RotatedSecret(View):
    webhook: Webhook
    secret: str = Field(description="the new secret, `whsec_<base64>`: shown this once, store it now")


class PingResult(View):
    """What a test ping found. The receiver's body is never shown."""

    delivered: bool = Field(description="the receiver answered 2xx")
    status_code: int | None = Field(None, description="the receiver's HTTP status, when it answered")
    failure: str | None = Field(
        None, description="why not: rejected_4xx, server_5xx, timeout, unreachable or blocked_address"
    )


class Attempt(View):
    at: Timestamp
    outcome: str
    reason: str | None = None
    error: str | None = None


class Delivery(View):
    event_id: str | None = None
    event_type: str | None = None
    notice: str | None = None
    channel: str | None = None
    recipient: str | None = None
    recipient_id: str | None = None
    recipient_region: str | None = None
    rule_id: str | None = None
    template: str | None = None
    region_code: str | None = None
    status: str | None = None
    attempts: list[Attempt] | None = None
    failed_reason: str | None = None
    failure: str | None = None
    reason: str | None = Field(None, description="why a `skipped` delivery was not sent, e.g. `session_started`")
    skipped_reason: str | None = None
    created_at: Timestamp | None = None
    next_attempt_at: Timestamp | None = None
    lease_until: Timestamp | None = None
    version: int | None = None
    sent_at: Timestamp | None = None
    retried_at: Timestamp | None = Field(None, description="when a retry was last asked for by hand")
    retried_by: str | None = None
    id: str
