"""`POST/GET /rules`: which notices go to whom, by which channel, with which template."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, cast

from fastapi import APIRouter
from pydantic import Field

from contracts.events.common import Channel
from pilar_runtime.api import PageDep, page_of
from pilar_runtime.auth import WRITERS, CallerDep, WriterDep
from pilar_runtime.errors import Unprocessable
from pilar_runtime.logs import mask_text
from pilar_runtime.models import Command, new_id, public
from pilar_runtime.regions import RegionError, require
from pilar_runtime.service import RuntimeDep
from services.notify import store
from services.notify.domain.kinds import ROLES
from services.notify.domain.rules import InvalidRule, Rule, check_rule, default_rules
from services.notify.settings import NotifySettings

router = APIRouter(tags=["rules"])


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


def region(code: str, field: str = "region_code") -> str:
    try:
        return require(code)
    except RegionError as exc:
        raise Unprocessable(f"{field}: {exc}") from exc


@router.post("/rules", status_code=201, summary="Create a rule (validated: pattern, channel, recipients, template)")
async def create_rule(command: RuleCommand, caller: WriterDep, runtime: RuntimeDep) -> dict[str, Any]:
    code = region(command.region_code)
    caller.require_region(code)
    settings = cast(NotifySettings, runtime.settings)
    if command.channel == Channel.SMS and not settings.sms_gateway_url:
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
        known = await runtime.mongo.db[store.WEBHOOKS].count_documents(
            {"_id": {"$in": rule.addresses}, **caller.region_filter()}
        )
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
        "created_by": caller.sub,
        "created_at": datetime.now(UTC),
        "version": 1,
    }
    await runtime.mongo.db[store.RULES].insert_one(document)
    return public(document)


def _recipients_masked(rule: dict[str, Any]) -> dict[str, Any]:
    """A rule as a viewer or integration sees it: roles and webhook ids whole, e-mail addresses and phone numbers
    masked (writers of the region set them; readers see contacts masked everywhere)."""
    rule["recipients"] = [r if r in ROLES or r.startswith("wh_") else mask_text(r) for r in rule["recipients"]]
    return public(rule)


@router.get("/rules", summary="Rules of your region subtree (addresses masked for viewers and integrations)")
async def list_rules(caller: CallerDep, runtime: RuntimeDep, page: PageDep) -> dict[str, Any]:
    show = public if caller.role in WRITERS else _recipients_masked
    return await page_of(runtime.mongo.db[store.RULES], caller.region_filter(), page, [("created_at", 1)], show=show)


@router.get("/rules/defaults", summary="The shipped rules, active in every region")
async def list_default_rules(caller: CallerDep, runtime: RuntimeDep) -> dict[str, Any]:
    settings = cast(NotifySettings, runtime.settings)
    rules = default_rules(sms_enabled=bool(settings.sms_gateway_url)) if settings.default_rules else []
    items = [
        {"id": r.id, "event_pattern": r.event_pattern, "region_code": r.region_code, "channel": r.channel,
         "recipients": list(r.recipients), "template": r.template}
        for r in rules
    ]  # fmt: skip
    return {"items": items, "total": len(items)}
