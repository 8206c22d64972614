"""`POST/GET /webhooks`: district systems receive the events they want, signed. The secret is write-only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import urlsplit

import httpcore
import httpx
from fastapi import APIRouter
from pydantic import Field, SecretStr

from pilar_runtime.api import PageDep, page_of
from pilar_runtime.auth import CallerDep, WriterDep
from pilar_runtime.errors import Unprocessable
from pilar_runtime.models import Command, new_id, public
from pilar_runtime.service import RuntimeDep
from services.notify import store
from services.notify.api.rules import region
from services.notify.channels.webhook import AddressRefused, PinnedBackend, vetted_addresses
from services.notify.domain.kinds import InvalidPattern, validate_pattern
from services.notify.domain.signature import BadSecret, key
from services.notify.settings import NotifySettings

router = APIRouter(tags=["webhooks"])


class WebhookCommand(Command):
    url: str = Field(max_length=2000, examples=["https://sidinsos.gunungkidulkab.go.id/pilar/events"])
    event_patterns: list[str] = Field(min_length=1, max_length=50, examples=[["outreach.*", "registry.WKSBM_formed"]])
    region_code: str
    secret: SecretStr = Field(
        description="HMAC key: `whsec_<base64>` (Standard Webhooks) or 16+ characters; write-only"
    )
    description: str | None = Field(None, max_length=500)


def check_url(url: str) -> httpx.URL:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 — raises on a malformed port
    except ValueError as exc:
        raise Unprocessable(f"url: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Unprocessable(f"url: {url!r} is not an http(s) URL with a host")
    if parts.username or parts.password:
        raise Unprocessable("url: credentials in the URL are refused; the signature authenticates Pilar")
    try:
        return httpx.URL(url)  # read as the sender will read it
    except httpx.InvalidURL as exc:
        raise Unprocessable(f"url: {exc}") from exc


async def check_address(url: httpx.URL, settings: NotifySettings) -> None:
    """The URL's host must stand for addresses webhooks may reach; when the settings ask, something must also
    accept a TCP connection there (nothing is sent: an unsigned probe would look like a forged delivery).
    Why a connection failed is not said — the answer would make notify a port scanner."""
    host, port = url.raw_host.decode("ascii"), url.port or (443 if url.scheme == "https" else 80)
    backend = PinnedBackend(settings.webhook_allowed_networks)
    try:
        if not settings.webhook_check_reachable:
            await vetted_addresses(host, port, backend.allowed)
            return
        stream = await backend.connect_tcp(host, port, timeout=min(settings.webhook_timeout_seconds, 5.0))
    except AddressRefused as exc:
        raise Unprocessable(f"url: {exc}") from exc
    except (httpcore.ConnectError, httpcore.ConnectTimeout, OSError) as exc:
        raise Unprocessable("url: nothing accepted a connection at this URL's host and port") from exc
    await stream.aclose()


def shown(document: dict[str, Any]) -> dict[str, Any]:
    out = public({k: v for k, v in document.items() if k != "secret"})
    out["secret_set"] = True
    return out


@router.post("/webhooks", status_code=201, summary="Register a webhook (its secret is never shown again)")
async def create_webhook(command: WebhookCommand, caller: WriterDep, runtime: RuntimeDep) -> dict[str, Any]:
    code = region(command.region_code)
    caller.require_region(code)
    url = check_url(command.url)
    for i, pattern in enumerate(command.event_patterns):
        try:
            validate_pattern(pattern, notices_only=False)
        except InvalidPattern as exc:
            raise Unprocessable(f"event_patterns[{i}]: {exc}") from exc
    secret = command.secret.get_secret_value()
    try:
        if len(secret) < 16 or len(key(secret)) < 16:
            raise Unprocessable("secret: use at least 16 characters (or a whsec_ secret of at least 16 bytes)")
    except BadSecret as exc:
        raise Unprocessable(f"secret: {exc}") from exc
    await check_address(url, cast(NotifySettings, runtime.settings))
    document = {
        "_id": new_id("wh"),
        "url": command.url,
        "event_patterns": command.event_patterns,
        "region_code": code,
        "secret": secret,
        "description": command.description,
        "active": True,
        "created_by": caller.sub,
        "created_at": datetime.now(UTC),
        "version": 1,
    }
    await runtime.mongo.db[store.WEBHOOKS].insert_one(document)
    return shown(document)


@router.get("/webhooks", summary="Webhooks of your region subtree (without secrets)")
async def list_webhooks(caller: CallerDep, runtime: RuntimeDep, page: PageDep) -> dict[str, Any]:
    collection = runtime.mongo.db[store.WEBHOOKS]
    sort = [("created_at", 1)]
    return await page_of(collection, caller.region_filter(), page, sort, projection={"secret": 0}, show=shown)
