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
    created_by: str | None = None
    created_at: Timestamp | None = None
    version: int | None = None
    id: str
    secret_set: bool


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
    id: str
