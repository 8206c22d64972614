"""Registering a webhook: a district system receives the events it wants, signed. The secret is write-only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from pilar_runtime.auth import Caller
from pilar_runtime.errors import Unprocessable
from pilar_runtime.models import new_id
from pilar_runtime.mongo import Mongo
from pilar_runtime.regions import checked_region
from services.notify import store
from services.notify.channels.webhook import AddressRefused, PinnedBackend, vetted_addresses
from services.notify.domain.kinds import InvalidPattern, validate_pattern
from services.notify.domain.models import WebhookCommand
from services.notify.domain.signature import BadSecret, key
from services.notify.settings import NotifySettings


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


def _check_secret(secret: str) -> None:
    try:
        if len(secret) < 16 or len(key(secret)) < 16:
            raise Unprocessable("secret: use at least 16 characters (or a whsec_ secret of at least 16 bytes)")
    except BadSecret as exc:
        raise Unprocessable(f"secret: {exc}") from exc


async def create_webhook(
    mongo: Mongo, command: WebhookCommand, caller: Caller, settings: NotifySettings
) -> dict[str, Any]:
    """The webhook as stored (with its secret: the caller shows it without), once its URL may and can be reached."""
    code = checked_region(command.region_code, "region_code")
    caller.require_region(code)
    url = check_url(command.url)
    for i, pattern in enumerate(command.event_patterns):
        try:
            validate_pattern(pattern, notices_only=False)
        except InvalidPattern as exc:
            raise Unprocessable(f"event_patterns[{i}]: {exc}") from exc
    secret = command.secret.get_secret_value()
    _check_secret(secret)
    await check_address(url, settings)
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
    await store.insert(mongo, store.WEBHOOKS, document)
    return document
