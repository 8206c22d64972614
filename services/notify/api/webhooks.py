"""`POST/GET /webhooks`: district systems receive the events they want, signed. The secret is write-only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from pilar_runtime.api import PageDep
from pilar_runtime.auth import Caller, CallerDep, WriterDep
from pilar_runtime.models import Page, public
from pilar_runtime.service import Runtime, RuntimeDep
from services.notify import store
from services.notify.api.rules import Deleted, Region
from services.notify.api.schemas import Webhook
from services.notify.commands import switches, webhooks
from services.notify.domain.models import WebhookCommand
from services.notify.domain.switches import Action
from services.notify.parts import PartsDep

router = APIRouter(tags=["webhooks"])


def shown(document: dict[str, Any]) -> dict[str, Any]:
    out = public({k: v for k, v in document.items() if k != "secret"})
    out["secret_set"] = True
    return out


@router.post(
    "/webhooks",
    status_code=201,
    summary="Register a webhook (its secret is never shown again)",
    response_model=Webhook,
    response_model_exclude_unset=True,
)
async def create_webhook(
    command: WebhookCommand, caller: WriterDep, runtime: RuntimeDep, parts: PartsDep
) -> dict[str, Any]:
    webhook = await webhooks.create_webhook(runtime.mongo, command, caller, parts.settings)
    return shown(webhook)


@router.get(
    "/webhooks",
    summary="Webhooks of your region subtree (without secrets)",
    response_model=Page[Webhook],
    response_model_exclude_unset=True,
)
async def list_webhooks(
    caller: CallerDep, runtime: RuntimeDep, page: PageDep, region: Region = None, deleted: Deleted = False
) -> dict[str, Any]:
    return await store.webhooks_page(runtime.mongo, caller.list_filter(region), page, shown, deleted=deleted)


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
async def disable_webhook(webhook_id: str, caller: WriterDep, runtime: RuntimeDep) -> dict[str, Any]:
    return await _switch(webhook_id, Action.DISABLE, caller, runtime)


@router.post(
    "/webhooks/{webhook_id}/enable",
    summary="Enable a disabled webhook again (409 once deleted)",
    response_model=Webhook,
    response_model_exclude_unset=True,
)
async def enable_webhook(webhook_id: str, caller: WriterDep, runtime: RuntimeDep) -> dict[str, Any]:
    return await _switch(webhook_id, Action.ENABLE, caller, runtime)


@router.delete(
    "/webhooks/{webhook_id}",
    summary="Delete a webhook: it is sent nothing new and stays on record with who deleted it and when",
    response_model=Webhook,
    response_model_exclude_unset=True,
)
async def delete_webhook(webhook_id: str, caller: WriterDep, runtime: RuntimeDep) -> dict[str, Any]:
    return await _switch(webhook_id, Action.DELETE, caller, runtime)
