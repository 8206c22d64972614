"""`POST/GET /rules`: which notices go to whom, by which channel, with which template."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from pilar_runtime.api import PageDep
from pilar_runtime.auth import WRITERS, Caller, CallerDep, WriterDep
from pilar_runtime.logs import mask_text
from pilar_runtime.models import Page, public
from pilar_runtime.service import Runtime, RuntimeDep
from services.notify import store
from services.notify.api.schemas import DefaultRule, StoredRule
from services.notify.commands import rules, switches
from services.notify.domain.kinds import ROLES
from services.notify.domain.models import RuleCommand
from services.notify.domain.rules import default_rules
from services.notify.domain.switches import Action, is_active
from services.notify.parts import PartsDep

router = APIRouter(tags=["rules"])

Region = Annotated[str | None, Query(description="only this region and below (within your scope)")]


Deleted = Annotated[bool, Query(description="list deleted ones too (they stay on record)")]


def _shown(rule: dict[str, Any]) -> dict[str, Any]:
    return {**public(rule), "active": is_active(rule)}


@router.post(
    "/rules",
    status_code=201,
    summary="Create a rule (validated: pattern, channel, recipients, template)",
    response_model=StoredRule,
    response_model_exclude_unset=True,
)
async def create_rule(command: RuleCommand, caller: WriterDep, runtime: RuntimeDep, parts: PartsDep) -> dict[str, Any]:
    sms_enabled = bool(parts.settings.sms_gateway_url)
    rule = await rules.create_rule(runtime.mongo, command, caller, sms_enabled=sms_enabled)
    return _shown(rule)


def _recipients_masked(rule: dict[str, Any]) -> dict[str, Any]:
    """A rule as a viewer or integration sees it: roles and webhook ids whole, e-mail addresses and phone numbers
    masked (writers of the region set them; readers see contacts masked everywhere)."""
    rule["recipients"] = [r if r in ROLES or r.startswith("wh_") else mask_text(r) for r in rule["recipients"]]
    return _shown(rule)


@router.get(
    "/rules",
    summary="Rules of your region subtree (addresses masked for viewers and integrations)",
    response_model=Page[StoredRule],
    response_model_exclude_unset=True,
)
async def list_rules(
    caller: CallerDep, runtime: RuntimeDep, page: PageDep, region: Region = None, deleted: Deleted = False
) -> dict[str, Any]:
    show = _shown if caller.role in WRITERS else _recipients_masked
    return await store.rules_page(runtime.mongo, caller.list_filter(region), page, show, deleted=deleted)


@router.get("/rules/defaults", summary="The shipped rules, active in every region")
async def list_default_rules(caller: CallerDep, parts: PartsDep) -> Page[DefaultRule]:
    settings = parts.settings
    shipped = default_rules(sms_enabled=bool(settings.sms_gateway_url)) if settings.default_rules else []
    items = [
        DefaultRule(id=r.id, event_pattern=r.event_pattern, region_code=r.region_code, channel=r.channel,
                    recipients=list(r.recipients), template=r.template)
        for r in shipped
    ]  # fmt: skip
    return Page(items=items, total=len(items))


@router.get(
    "/rules/{rule_id}",
    summary="One rule of your region subtree, deleted ones included",
    response_model=StoredRule,
    response_model_exclude_unset=True,
)
async def get_rule(rule_id: str, caller: CallerDep, runtime: RuntimeDep) -> dict[str, Any]:
    rule = await switches.record(runtime.mongo, store.RULES, rule_id, caller)
    return _shown(rule) if caller.role in WRITERS else _recipients_masked(rule)


async def _switch(rule_id: str, action: Action, caller: Caller, runtime: Runtime) -> dict[str, Any]:
    return _shown(await switches.switch(runtime.mongo, store.RULES, rule_id, action, caller))


@router.post(
    "/rules/{rule_id}/disable",
    summary="Disable a rule: it plans no more deliveries (those recorded stay in the log)",
    response_model=StoredRule,
    response_model_exclude_unset=True,
)
async def disable_rule(rule_id: str, caller: WriterDep, runtime: RuntimeDep) -> dict[str, Any]:
    return await _switch(rule_id, Action.DISABLE, caller, runtime)


@router.post(
    "/rules/{rule_id}/enable",
    summary="Enable a disabled rule again (409 once deleted)",
    response_model=StoredRule,
    response_model_exclude_unset=True,
)
async def enable_rule(rule_id: str, caller: WriterDep, runtime: RuntimeDep) -> dict[str, Any]:
    return await _switch(rule_id, Action.ENABLE, caller, runtime)


@router.delete(
    "/rules/{rule_id}",
    summary="Delete a rule: it plans nothing more and stays on record with who deleted it and when",
    response_model=StoredRule,
    response_model_exclude_unset=True,
)
async def delete_rule(rule_id: str, caller: WriterDep, runtime: RuntimeDep) -> dict[str, Any]:
    return await _switch(rule_id, Action.DELETE, caller, runtime)
