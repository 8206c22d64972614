"""Registering, changing, rotating the secret of and testing a webhook: a district system receives the events it
wants, signed. A secret is shown once: the caller's own at registration, never; a rotated one, in that answer."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx
import structlog

from contracts.events.notify import FailureReason
from pilar_runtime.auth import Caller
from pilar_runtime.errors import Conflict, Unprocessable
from pilar_runtime.models import new_id
from pilar_runtime.mongo import Mongo
from pilar_runtime.regions import checked_region
from services.notify import store
from services.notify.channels.base import DeliveryError
from services.notify.channels.webhook import AddressRefused, PinnedBackend, WebhookSender, vetted_addresses
from services.notify.commands import switches
from services.notify.commands.owners import owner_of, require_manager
from services.notify.domain.kinds import InvalidPattern, validate_pattern
from services.notify.domain.models import WebhookCommand, WebhookUpdate
from services.notify.domain.signature import BadSecret, key
from services.notify.domain.webhooks import SECRET_BYTES, ping_body, rotated, secret_of, updated
from services.notify.settings import NotifySettings

log = structlog.get_logger("notify.webhooks")


def _check_patterns(patterns: list[str]) -> None:
    for i, pattern in enumerate(patterns):
        try:
            validate_pattern(pattern, notices_only=False)
        except InvalidPattern as exc:
            raise Unprocessable(f"event_patterns[{i}]: {exc}") from exc


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
    require_manager(caller)
    url = check_url(command.url)
    _check_patterns(command.event_patterns)
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
        "owner": owner_of(caller),
        "created_by": caller.sub,
        "created_at": datetime.now(UTC),
        "version": 1,
    }
    await store.insert(mongo, store.WEBHOOKS, document)
    return document


def _now() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)  # as the database keeps it: milliseconds


async def _change(mongo: Mongo, current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    if not await store.change(mongo, store.WEBHOOKS, current["_id"], current.get("version", 1), changes):
        raise Conflict({"rule": "changed_meanwhile", "message": "the webhook was changed meanwhile; read it again"})
    return {**current, **changes}


async def update_webhook(
    mongo: Mongo, webhook_id: str, command: WebhookUpdate, caller: Caller, settings: NotifySettings
) -> dict[str, Any]:
    """The webhook after the change; a new URL is checked as at registration."""
    require_manager(caller)
    current = await switches.record(mongo, store.WEBHOOKS, webhook_id, caller)
    changes = command.model_dump(exclude_unset=True)
    if changes.get("url") is not None:
        await check_address(check_url(changes["url"]), settings)
    elif "url" in changes:
        raise Unprocessable("url: a webhook needs a URL")
    if "event_patterns" in changes:
        if changes["event_patterns"] is None:
            raise Unprocessable("event_patterns: a webhook needs at least one")
        _check_patterns(changes["event_patterns"])
    result = await _change(mongo, current, updated(current, changes, caller.sub, _now()))
    log.info("notify.webhook_updated", record_id=webhook_id, fields=sorted(changes))
    return result


async def rotate_secret(
    mongo: Mongo, webhook_id: str, caller: Caller, settings: NotifySettings
) -> tuple[dict[str, Any], str]:
    """The webhook after the rotation and its new secret (shown this once); the old one signs beside it for the
    grace period."""
    require_manager(caller)
    current = await switches.record(mongo, store.WEBHOOKS, webhook_id, caller)
    new_secret = secret_of(secrets.token_bytes(SECRET_BYTES))
    grace = timedelta(hours=settings.webhook_rotation_grace_hours)
    old_secret = await store.webhook_secret(mongo, webhook_id)
    changes = rotated(current, new_secret, old_secret, caller.sub, _now(), grace)
    result = await _change(mongo, current, changes)
    log.info("notify.webhook_secret_rotated", record_id=webhook_id)
    return {k: v for k, v in result.items() if k not in ("secret", "previous_secret")}, new_secret


@dataclass(frozen=True)
class PingOutcome:
    """What a test ping found: the receiver's HTTP status, or the category of failure. Never the receiver's body."""

    delivered: bool
    status_code: int | None
    failure: str | None


async def ping(mongo: Mongo, webhook_id: str, caller: Caller, settings: NotifySettings) -> PingOutcome:
    """Send a signed `ping` now, paused or not, and tell what came back. Not recorded as a delivery."""
    require_manager(caller)
    current = await switches.record(mongo, store.WEBHOOKS, webhook_id, caller)
    if current.get("deleted_at") is not None:
        raise Conflict({"rule": "webhook_deleted", "message": "the webhook was deleted; it is sent nothing"})
    keys = (await store.webhook_keys(mongo.db, {webhook_id}, datetime.now(UTC)))[webhook_id]
    sender = WebhookSender.from_settings(settings)
    extra = {"X-Pilar-Event-Type": "ping"}
    try:
        body = ping_body(webhook_id, datetime.now(UTC))
        answer = await sender.post(current["url"], body, new_id("ping"), extra, keys.secret, keys.previous)
    except DeliveryError as exc:
        return PingOutcome(False, None, exc.reason.value)
    finally:
        await sender.close()
    if answer.is_success:
        return PingOutcome(True, answer.status_code, None)
    failure = FailureReason.SERVER_5XX if answer.status_code >= 500 else FailureReason.REJECTED_4XX
    return PingOutcome(False, answer.status_code, failure.value)
