"""`/webhooks`: district systems receive the events they want, signed, and manage their webhooks themselves.

An `integration` token registers, lists, changes, pauses, rotates the secret of, tests and deletes its own webhooks
(another integration's answer 404); staff writers of the region manage all of the region's. A secret is never
shown, except a rotated one in the rotation's answer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from pilar_runtime.api import PageDep
from pilar_runtime.auth import Caller, CallerDep
from pilar_runtime.models import Page, public
from pilar_runtime.service import Runtime, RuntimeDep
from services.notify import store
from services.notify.api.rules import Deleted, Region
from services.notify.api.schemas import PingResult, RotatedSecret, Webhook
from services.notify.commands import switches, webhooks
from services.notify.commands.owners import owner_filter, require_manager
from services.notify.domain.models import WebhookCommand, WebhookUpdate
from services.notify.domain.switches import Action
from services.notify.parts import PartsDep

router = APIRouter(tags=["webhooks"])


def shown(document: dict[str, Any]) -> dict[str, Any]:
    out = public({k: v for k, v in document.items() if k not in ("secret", "previous_secret")})
    out["secret_set"] = True
    return out


async def _manager(caller: CallerDep) -> Caller:
    require_manager(caller)
    return caller


ManagerDep = Annotated[Caller, Depends(_manager)]


@router.post(
    "/webhooks",
    status_code=201,
    summary="Register a webhook (its secret is never shown again); an integration's is its own to manage",
    response_model=Webhook,
    response_model_exclude_unset=True,
)
async def create_webhook(
    command: WebhookCommand, caller: ManagerDep, runtime: RuntimeDep, parts: PartsDep
) -> dict[str, Any]:
    webhook = await webhooks.create_webhook(runtime.mongo, command, caller, parts.settings)
    return shown(webhook)


@router.get(
    "/webhooks",
    summary="Webhooks of your region subtree (without secrets); an integration lists only its own",
    response_model=Page[Webhook],
    response_model_exclude_unset=True,
)
async def list_webhooks(
    caller: CallerDep, runtime: RuntimeDep, page: PageDep, region: Region = None, deleted: Deleted = False
) -> dict[str, Any]:
    scope = {**caller.list_filter(region), **owner_filter(caller)}
    return await store.webhooks_page(runtime.mongo, scope, page, shown, deleted=deleted)


@router.get(
    "/webhooks/{webhook_id}",
    summary="One webhook of your region subtree (without its secret), deleted ones included",
    response_model=Webhook,
    response_model_exclude_unset=True,
)
async def get_webhook(webhook_id: str, caller: CallerDep, runtime: RuntimeDep) -> dict[str, Any]:
    return shown(await switches.record(runtime.mongo, store.WEBHOOKS, webhook_id, caller))


async def _switch(webhook_id: str, action: Action, caller: Caller, runtime: Runtime) -> dict[str, Any]:
    return shown(await switches.switch(runtime.mongo, store.WEBHOOKS, webhook_id, action, caller))


@router.post(
    "/webhooks/{webhook_id}/disable",
    summary="Disable a webhook: it is sent no new event or notice (those recorded stay in the log)",
    response_model=Webhook,
    response_model_exclude_unset=True,
)
async def disable_webhook(webhook_id: str, caller: ManagerDep, runtime: RuntimeDep) -> dict[str, Any]:
    return await _switch(webhook_id, Action.DISABLE, caller, runtime)


@router.post(
    "/webhooks/{webhook_id}/enable",
    summary="Enable a disabled webhook again (409 once deleted)",
    response_model=Webhook,
    response_model_exclude_unset=True,
)
async def enable_webhook(webhook_id: str, caller: ManagerDep, runtime: RuntimeDep) -> dict[str, Any]:
    return await _switch(webhook_id, Action.ENABLE, caller, runtime)


@router.delete(
    "/webhooks/{webhook_id}",
    summary="Delete a webhook: it is sent nothing new and stays on record with who deleted it and when",
    response_model=Webhook,
    response_model_exclude_unset=True,
)
async def delete_webhook(webhook_id: str, caller: ManagerDep, runtime: RuntimeDep) -> dict[str, Any]:
    return await _switch(webhook_id, Action.DELETE, caller, runtime)


@router.patch(
    "/webhooks/{webhook_id}",
    summary="Change a webhook's URL, event patterns or description (only the fields given; a new URL is checked)",
    response_model=Webhook,
    response_model_exclude_unset=True,
)
async def update_webhook(
    webhook_id: str, command: WebhookUpdate, caller: ManagerDep, runtime: RuntimeDep, parts: PartsDep
) -> dict[str, Any]:
    return shown(await webhooks.update_webhook(runtime.mongo, webhook_id, command, caller, parts.settings))


@router.post(
    "/webhooks/{webhook_id}/rotate-secret",
    summary="Give a webhook a new secret, shown in this answer only; the old one keeps signing beside it for "
    "NOTIFY_WEBHOOK_ROTATION_GRACE_HOURS (24 h), so the receiver can switch without losing a delivery",
    response_model=RotatedSecret,
    response_model_exclude_unset=True,
)
async def rotate_secret(webhook_id: str, caller: ManagerDep, runtime: RuntimeDep, parts: PartsDep) -> dict[str, Any]:
    webhook, secret = await webhooks.rotate_secret(runtime.mongo, webhook_id, caller, parts.settings)
    return {"webhook": shown(webhook), "secret": secret}


@router.post(
    "/webhooks/{webhook_id}/pause",
    summary="Pause a webhook: events are still recorded for it but nothing is sent until it is resumed",
    response_model=Webhook,
    response_model_exclude_unset=True,
)
async def pause_webhook(webhook_id: str, caller: ManagerDep, runtime: RuntimeDep) -> dict[str, Any]:
    return await _switch(webhook_id, Action.PAUSE, caller, runtime)


@router.post(
    "/webhooks/{webhook_id}/resume",
    summary="Resume a paused webhook: what waited is sent at once, in order, then new events as they come",
    response_model=Webhook,
    response_model_exclude_unset=True,
)
async def resume_webhook(webhook_id: str, caller: ManagerDep, runtime: RuntimeDep) -> dict[str, Any]:
    return await _switch(webhook_id, Action.RESUME, caller, runtime)


@router.post(
    "/webhooks/{webhook_id}/test",
    summary="Send a signed `ping` now (paused or not) and tell what the receiver answered: its status or why it "
    "could not be reached. Not recorded as a delivery",
    response_model=PingResult,
)
async def test_webhook(webhook_id: str, caller: ManagerDep, runtime: RuntimeDep, parts: PartsDep) -> PingResult:
    outcome = await webhooks.ping(runtime.mongo, webhook_id, caller, parts.settings)
    return PingResult(delivered=outcome.delivered, status_code=outcome.status_code, failure=outcome.failure)
