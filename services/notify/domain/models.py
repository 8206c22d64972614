"""What the commands take: a new rule, a new webhook, a change to a webhook."""

from __future__ import annotations

from pydantic import Field, SecretStr

from contracts.events.common import Channel
from pilar_runtime.models import Command


class RuleCommand(Command):
    event_pattern: str = Field(min_length=3, max_length=100, examples=["outreach.session_*"])
    region_code: str = Field(description="the rule covers events of this region and everything below it")
    channel: Channel
    recipients: list[str] = Field(
        min_length=1,
        max_length=100,
        description="roles (officers, narasumber, followup_owner, campaign_owner) and/or addresses fitting the "
        "channel (e-mail, phone number, or a registered webhook id wh_…)",
    )
    template: str | None = Field(
        None, max_length=20_000, description="a shipped template's name (e.g. `email/session_reminder`) or Jinja2 text"
    )
    description: str | None = Field(None, max_length=500)


class WebhookCommand(Command):
    url: str = Field(max_length=2000, examples=["https://sidinsos.gunungkidulkab.go.id/pilar/events"])
    event_patterns: list[str] = Field(min_length=1, max_length=50, examples=[["outreach.*", "registry.WKSBM_formed"]])
    region_code: str
    secret: SecretStr = Field(
        description="HMAC key: `whsec_<base64>` (Standard Webhooks) or 16+ characters; write-only"
    )
    description: str | None = Field(None, max_length=500)


class WebhookUpdate(Command):
    """Only the fields given change; the region stays (register a new webhook for another region)."""

    url: str | None = Field(None, max_length=2000)
    event_patterns: list[str] | None = Field(None, min_length=1, max_length=50)
    description: str | None = Field(None, max_length=500)
