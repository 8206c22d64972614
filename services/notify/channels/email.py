"""E-mail over SMTP (aiosmtplib)."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING, ClassVar, Self

import aiosmtplib

from contracts.events.notify import FailureReason
from pilar_runtime.localtime import WIB
from services.notify.channels.base import DeliveryError, Outgoing

if TYPE_CHECKING:
    from services.notify.settings import NotifySettings


class EmailSender:
    quiet_hours: ClassVar[bool] = False

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        start_tls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password = username, password
        self.start_tls, self.timeout = start_tls, timeout

    @classmethod
    def from_settings(cls, settings: NotifySettings) -> Self:
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            username=settings.smtp_username,
            password=password,
            start_tls=settings.smtp_starttls,
            timeout=settings.smtp_timeout_seconds,
        )

    async def send(self, message: Outgoing) -> None:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.recipient
        mail["Subject"] = message.subject
        mail["Message-ID"] = make_msgid(idstring=message.delivery_id, domain="pilar.local")
        mail["X-Pilar-Delivery-Id"] = message.delivery_id
        mail["X-Pilar-Event-Id"] = message.event_id
        mail["Date"] = format_datetime(datetime.now(WIB))
        mail.set_content(message.body, charset="utf-8")
        try:
            await aiosmtplib.send(
                mail,
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                start_tls=self.start_tls,
                timeout=self.timeout,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            detail = f"SMTP {self.host}:{self.port}: {type(exc).__name__}: {exc}"
            raise DeliveryError(_reason(exc), detail) from exc

    async def close(self) -> None:
        return None


def _reason(exc: Exception) -> FailureReason:
    if isinstance(exc, TimeoutError):  # aiosmtplib's timeouts are TimeoutErrors, and OSErrors
        return FailureReason.TIMEOUT
    if isinstance(exc, OSError):  # could not connect, or the server hung up
        return FailureReason.UNREACHABLE
    return FailureReason.REFUSED  # the server answered no: to the recipient, the sender or the message
