"""The answers of notify's API. Stored documents may carry fields not named here: they are shown as stored.
Fields are declared in the order documents are stored in, so answers read as they always did."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, PlainSerializer

# Written as the API always wrote them (`2027-08-02T05:00:00+00:00`), not pydantic's `Z` form.
Instant = Annotated[datetime, PlainSerializer(lambda moment: moment.isoformat(), return_type=str, when_used="json")]


class Answer(BaseModel):
    model_config = ConfigDict(extra="allow")


class StoredRule(Answer):
    event_pattern: str
    region_code: str
    channel: str
    recipients: list[str]
    template: str | None = None
    description: str | None = None
    created_by: str | None = None
    created_at: Instant | None = None
    version: int | None = None
    id: str


class DefaultRule(Answer):
    id: str
    event_pattern: str
    region_code: str
    channel: str
    recipients: list[str]
    template: str | None = None


class Webhook(Answer):
    url: str
    event_patterns: list[str]
    region_code: str
    description: str | None = None
    active: bool | None = None
    created_by: str | None = None
    created_at: Instant | None = None
    version: int | None = None
    id: str
    secret_set: bool


class Attempt(Answer):
    at: Instant
    outcome: str
    reason: str | None = None
    error: str | None = None


class Delivery(Answer):
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
    created_at: Instant | None = None
    next_attempt_at: Instant | None = None
    lease_until: Instant | None = None
    version: int | None = None
    sent_at: Instant | None = None
    id: str
