"""Webhooks for district systems: the raw JSON envelope, POSTed with httpx and signed with the webhook's secret.

Every connection goes through `PinnedBackend`: the host is resolved once, every address it resolves to is
checked against the address rule (`domain/addresses.py`), and the connection is made to a checked address — so a
name that changes its answer between the check and the connect (DNS rebinding) still cannot reach the intranet.
The Host header and the TLS server name keep naming the host: httpcore takes them from the URL, not the socket.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, ClassVar, Self

import httpcore
import httpx

from contracts.events.notify import FailureReason
from services.notify.channels.base import DeliveryError, Outgoing
from services.notify.domain.addresses import Address, Network, parse_literal, refusal
from services.notify.domain.signature import signed_headers

if TYPE_CHECKING:
    from services.notify.settings import NotifySettings


class AddressRefused(Exception):
    """The webhook's host is, or resolves to, an address webhooks may not reach."""

    def __init__(self, host: str, kind: str | None) -> None:
        # A literal address gets its kind; a name gets one answer whether it does not resolve or resolves inward,
        # so the API is no oracle for the office's internal DNS.
        if kind is not None and parse_literal(host) is not None:
            reason = f"{kind} addresses are not reachable by webhooks"
        else:
            reason = "the host does not resolve to an address webhooks may reach"
        super().__init__(f"{reason} (a public address, or a network in NOTIFY_WEBHOOK_ALLOWED_NETWORKS)")


async def vetted_addresses(host: str, port: int, allowed: Sequence[Network]) -> list[Address]:
    """Every address the host stands for, each admitted by the address rule; raises AddressRefused otherwise."""
    literal = parse_literal(host)
    if literal is not None:
        addresses: list[Address] = [literal]
    else:
        try:
            found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, ValueError) as exc:  # not found, or not a name at all (UnicodeError is a ValueError)
            raise AddressRefused(host, None) from exc
        addresses = list(dict.fromkeys(ipaddress.ip_address(str(info[4][0])) for info in found))
    if not addresses:
        raise AddressRefused(host, None)
    for address in addresses:
        if (kind := refusal(address, allowed)) is not None:
            raise AddressRefused(host, kind)
    return addresses


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to vetted addresses (see the module docstring)."""

    def __init__(self, allowed: Iterable[Network]) -> None:
        self.allowed = list(allowed)
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        *others, last = await vetted_addresses(host, port, self.allowed)
        for address in others:
            try:
                return await self.inner.connect_tcp(str(address), port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout):
                continue
        return await self.inner.connect_tcp(str(last), port, timeout, local_address, socket_options)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("webhooks connect over TCP only")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def webhook_client(allowed: Iterable[Network], timeout: float) -> httpx.AsyncClient:
    """An httpx client whose connections all go through PinnedBackend. No proxy or .netrc from the environment
    (the proxy, not the webhook's host, would be checked) and no redirects (they would lead past the check);
    SSL_CERT_FILE / SSL_CERT_DIR still name the CAs to trust."""
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    # httpx has no parameter for the network backend: give its transport a pool built with ours.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        max_connections=100,  # httpx's default limits
        max_keepalive_connections=20,
        keepalive_expiry=5.0,
        network_backend=PinnedBackend(allowed),
    )
    return httpx.AsyncClient(
        transport=transport, timeout=httpx.Timeout(timeout), follow_redirects=False, trust_env=False
    )


def check_answer(response: httpx.Response, what: str) -> None:
    if not response.is_success:
        reason = FailureReason.SERVER_5XX if response.status_code >= 500 else FailureReason.REJECTED_4XX
        raise DeliveryError(reason, f"{what} answered HTTP {response.status_code}")


def failed_request(exc: httpx.HTTPError, what: str) -> DeliveryError:
    reason = FailureReason.TIMEOUT if isinstance(exc, httpx.TimeoutException) else FailureReason.UNREACHABLE
    return DeliveryError(reason, f"{what} unreachable: {type(exc).__name__}: {exc}")


class WebhookSender:
    """POSTs the raw JSON envelope, signed with the webhook's secret."""

    quiet_hours: ClassVar[bool] = False

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    @classmethod
    def from_settings(cls, settings: NotifySettings) -> Self:
        return cls(webhook_client(settings.webhook_allowed_networks, settings.webhook_timeout_seconds))

    async def send(self, message: Outgoing) -> None:
        if not message.secret:
            raise DeliveryError(FailureReason.NOT_CONFIGURED, "the webhook is no longer registered")
        extra = {"X-Pilar-Event-Type": message.event_type, "X-Pilar-Event-Id": message.event_id,
                 "X-Pilar-Delivery-Id": message.delivery_id}  # fmt: skip
        body, previous = message.body.encode(), message.previous_secret
        response = await self.post(message.recipient, body, message.delivery_id, extra, message.secret, previous)
        check_answer(response, "webhook")

    async def post(
        self, url: str, body: bytes, message_id: str, extra: dict[str, str], secret: str, previous: str | None = None
    ) -> httpx.Response:
        """The signed POST and the receiver's answer, whatever its status; DeliveryError when none came."""
        signed = signed_headers(body, secret, message_id=message_id, timestamp=int(time.time()), previous=previous)
        headers = {"Content-Type": "application/json", **signed, **extra}
        try:
            return await self.client.post(url, content=body, headers=headers)
        except AddressRefused as exc:
            raise DeliveryError(FailureReason.BLOCKED_ADDRESS, f"webhook refused: {exc}") from exc
        except httpx.HTTPError as exc:
            raise failed_request(exc, "webhook") from exc

    async def close(self) -> None:
        await self.client.aclose()
