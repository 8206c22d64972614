"""Webhooks for district systems: the raw JSON envelope, POSTed with httpx and signed with the webhook's secret."""

from __future__ import annotations

import httpx

from services.notify.channels import DeliveryError, Outgoing
from services.notify.domain.signature import HEADER, sign


def check_answer(response: httpx.Response, what: str) -> None:
    if not response.is_success:
        raise DeliveryError(f"{what} answered HTTP {response.status_code}")


class WebhookSender:
    """POSTs the raw JSON envelope, signed with the webhook's secret."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def send(self, message: Outgoing) -> None:
        if not message.secret:
            raise DeliveryError("the webhook is no longer registered")
        body = message.body.encode()
        headers = {
            "Content-Type": "application/json",
            HEADER: sign(body, message.secret),
            "X-Pilar-Event-Type": message.event_type,
            "X-Pilar-Event-Id": message.event_id,
            "X-Pilar-Delivery-Id": message.delivery_id,
        }
        try:
            response = await self.client.post(message.recipient, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook unreachable: {type(exc).__name__}: {exc}") from exc
        check_answer(response, "webhook")

    async def close(self) -> None:
        await self.client.aclose()
