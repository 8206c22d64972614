"""Creating a rule: which notices, for which region subtree, go to whom, by which channel, with which template."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from contracts.events.common import Channel
from pilar_runtime.auth import Caller
from pilar_runtime.errors import Unprocessable
from pilar_runtime.models import new_id
from pilar_runtime.mongo import Mongo
from pilar_runtime.regions import checked_region
from services.notify import store
from services.notify.domain.models import RuleCommand
from services.notify.domain.rules import InvalidRule, Rule, check_rule


async def create_rule(mongo: Mongo, command: RuleCommand, caller: Caller, *, sms_enabled: bool) -> dict[str, Any]:
    """The rule as stored, once it can work: every field checked, its template rendered against samples."""
    code = checked_region(command.region_code, "region_code")
    caller.require_region(code)
    if command.channel == Channel.SMS and not sms_enabled:
        raise Unprocessable("channel: sms needs an SMS gateway (NOTIFY_SMS_GATEWAY_URL), none is configured")
    rule = Rule(
        id=new_id("rul"),
        event_pattern=command.event_pattern,
        region_code=code,
        channel=command.channel.value,
        recipients=tuple(command.recipients),
        template=command.template,
    )
    try:
        await asyncio.to_thread(check_rule, rule)  # renders the template against samples: not on the event loop
    except InvalidRule as exc:
        raise Unprocessable(str(exc)) from exc
    if rule.channel == "webhook":
        known = await store.count_webhooks(mongo, rule.addresses, caller.region_filter())
        if known != len(set(rule.addresses)):
            raise Unprocessable("recipients: a webhook id is not registered in your region")
    document = {
        "_id": rule.id,
        "event_pattern": rule.event_pattern,
        "region_code": code,
        "channel": rule.channel,
        "recipients": list(rule.recipients),
        "template": rule.template,
        "description": command.description,
        "active": True,
        "created_by": caller.sub,
        "created_at": datetime.now(UTC),
        "version": 1,
    }
    await store.insert(mongo, store.RULES, document)
    return document
