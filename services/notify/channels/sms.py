"""SMS / WhatsApp through a configurable HTTP gateway."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Self
from urllib.parse import quote

import httpx

from contracts.events.notify import FailureReason
from services.notify.channels.base import DeliveryError, Outgoing
from services.notify.channels.webhook import check_answer, failed_request

if TYPE_CHECKING:
    from services.notify.settings import NotifySettings


class SmsSender:
    """POSTs `{"to", "message", "delivery_id"}` to the gateway; `{to}` in the URL template is the number. A text
    wakes people: it waits through the quiet hours."""

    quiet_hours: ClassVar[bool] = True

    def __init__(self, client: httpx.AsyncClient, url_template: str | None, auth_header: str | None) -> None:
        self.client = client
        self.url_template = url_template
        self.headers: dict[str, str] = {}
        if auth_header:
            name, _, value = auth_header.partition(":")
            self.headers[name.strip()] = value.strip()

    @classmethod
    def from_settings(cls, settings: NotifySettings) -> Self:
        auth = settings.sms_auth_header.get_secret_value() if settings.sms_auth_header else None
        client = httpx.AsyncClient(timeout=httpx.Timeout(settings.webhook_timeout_seconds))
        return cls(client, settings.sms_gateway_url, auth)

    async def send(self, message: Outgoing) -> None:
        if not self.url_template:
            raise DeliveryError(FailureReason.NOT_CONFIGURED, "no SMS gateway configured (NOTIFY_SMS_GATEWAY_URL)")
        url = self.url_template.replace("{to}", quote(message.recipient))
        body = {"to": message.recipient, "message": message.body, "delivery_id": message.delivery_id}
        try:
            response = await self.client.post(url, json=body, headers=self.headers)
        except httpx.HTTPError as exc:
            raise failed_request(exc, "SMS gateway") from exc
        check_answer(response, "SMS gateway")

    async def close(self) -> None:
        await self.client.aclose()
