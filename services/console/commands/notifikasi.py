"""Notifikasi: notify's rules, webhooks and delivery log for the user's region, and what the pages change there."""

from __future__ import annotations

from typing import Any

from services.console.domain.notifikasi import SWITCHES, per_form_field, rule_body, webhook_body
from services.console.gateway import Gateway, ServiceRefused

PAGE_SIZE = 50
KINDS = {"aturan": "/rules", "webhook": "/webhooks"}


async def overview(gateway: Gateway, user: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rules = await gateway.get(user, "notify", "/rules", limit=200)
    webhooks = await gateway.get(user, "notify", "/webhooks", limit=200)
    return rules["items"], webhooks["items"]


async def deliveries(gateway: Gateway, user: dict[str, Any], status: str | None, offset: int) -> dict[str, Any]:
    found: dict[str, Any] = await gateway.get(
        user, "notify", "/deliveries", status=status or None, limit=PAGE_SIZE, offset=offset
    )
    return found


async def create(gateway: Gateway, user: dict[str, Any], kind: str, form: dict[str, str]) -> None:
    body = rule_body(form) if kind == "aturan" else webhook_body(form)
    try:
        await gateway.send(user, "POST", "notify", KINDS[kind], body)
    except ServiceRefused as exc:
        exc.errors = per_form_field(exc.errors)
        raise


async def switch(gateway: Gateway, user: dict[str, Any], kind: str, record_id: str, action: str) -> None:
    if kind not in KINDS or action not in SWITCHES:
        raise ServiceRefused(404, {"": "Halaman atau data tidak ditemukan."})
    method, suffix = SWITCHES[action]
    await gateway.send(user, method, "notify", f"{KINDS[kind]}/{record_id}{suffix}")


async def retry(gateway: Gateway, user: dict[str, Any], delivery_id: str) -> None:
    await gateway.send(user, "POST", "notify", f"/deliveries/{delivery_id}/retry")
