"""`POST/GET /webhooks`: district systems receive the events they want, signed. The secret is write-only."""

from __future__ import annotations

from typing import Any, cast

from fastapi import APIRouter

from pilar_runtime.api import PageDep
from pilar_runtime.auth import CallerDep, WriterDep
from pilar_runtime.models import Page, public
from pilar_runtime.service import RuntimeDep
from services.notify import store
from services.notify.api.rules import Region
from services.notify.api.schemas import Webhook
from services.notify.commands import webhooks
from services.notify.domain.models import WebhookCommand
from services.notify.settings import NotifySettings

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
async def create_webhook(command: WebhookCommand, caller: WriterDep, runtime: RuntimeDep) -> dict[str, Any]:
    webhook = await webhooks.create_webhook(runtime.mongo, command, caller, cast(NotifySettings, runtime.settings))
    return shown(webhook)


@router.get(
    "/webhooks",
    summary="Webhooks of your region subtree (without secrets)",
    response_model=Page[Webhook],
    response_model_exclude_unset=True,
)
async def list_webhooks(caller: CallerDep, runtime: RuntimeDep, page: PageDep, region: Region = None) -> dict[str, Any]:
    return await store.webhooks_page(runtime.mongo, caller.list_filter(region), page, shown)
