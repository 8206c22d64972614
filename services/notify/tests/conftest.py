"""Fixtures: a real SMTP server (the mail catcher's handler under aiosmtpd), a real HTTP receiver, and notify
itself on the real broker and Mongo-wire server, with a clock the test can move."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import pytest
from aiosmtpd.controller import Controller

from contracts import topology
from contracts.envelope import Envelope
from pilar_dev.devstack import free_port
from pilar_dev.mailcatcher import MailFolder, StoredMail, list_mail
from pilar_dev.testing import RunningApp, publish_event
from pilar_runtime.mongo import Mongo
from pilar_runtime.service import Runtime
from pilar_runtime.timers import TimerPoller
from services.notify.app import build
from services.notify.settings import NotifySettings
from services.notify.tests.support import FakeClock, Receiver, daytime_start


@dataclass
class Mailbox:
    folder: Path
    port: int

    def mails(self, to: str | None = None) -> list[StoredMail]:
        return [m for m in list_mail(self.folder) if to is None or m.to == to]


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[Mailbox]:
    port = free_port()
    controller = Controller(MailFolder(tmp_path / "mail"), hostname="127.0.0.1", port=port)
    controller.start()
    yield Mailbox(tmp_path / "mail", port)
    controller.stop()


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    found = Receiver()
    async with RunningApp(found.app()) as running:
        yield found, running.url


@dataclass
class Notify:
    url: str
    runtime: Runtime
    clock: FakeClock
    publish: Callable[[Envelope], Awaitable[None]]

    @property
    def mongo(self) -> Mongo:
        return self.runtime.mongo

    async def fire_timers(self) -> int:
        """The timer poller at the fake clock's time (the app's own poller runs on real time)."""
        assert self.runtime.timers is not None
        poller = TimerPoller(self.mongo, self.runtime.timers.handlers, service="notify", clock=self.clock)
        return await poller.fire_due()

    async def deliveries(self, **query: Any) -> list[dict[str, Any]]:
        return [d async for d in self.mongo.db.deliveries.find(query)]


StartNotify = Callable[..., Any]


@pytest.fixture
async def notify(
    stack_settings: dict[str, str],
    smtp: Mailbox,
    receiver: tuple[Receiver, str],
    amqp: aio_pika.abc.AbstractRobustConnection,
    namespace: str,
) -> AsyncIterator[Notify]:
    """notify with fast retries (3 attempts, 50 ms base), the SMS gateway on the receiver, clock at 10:00 WIB."""
    _, receiver_url = receiver
    settings = NotifySettings.model_validate(
        {
            **stack_settings,
            "smtp_port": smtp.port,
            "sms_gateway_url": f"{receiver_url}/sms/{{to}}",
            "sms_auth_header": "Authorization: Bearer gateway-token",
            "public_base_url": "https://pilar.example",
            "webhook_allowed_networks": "127.0.0.0/8,::1/128",  # the receiver listens on loopback
            "retry_schedule": "0.05,0.05",
            "dispatch_poll_seconds": 0.05,
            "relay_poll_seconds": 0.05,
        }
    )
    clock = FakeClock(daytime_start())
    channel = await amqp.channel()
    exchange = await channel.declare_exchange(
        topology.namespaced(topology.EVENTS_EXCHANGE, namespace), aio_pika.ExchangeType.TOPIC, durable=True
    )

    async def publish(envelope: Envelope) -> None:
        await publish_event(exchange, envelope, amqp_url=settings.amqp_url)

    app = build(settings, clock=clock)
    async with RunningApp(app) as running:
        yield Notify(running.url, app.state.runtime, clock, publish)


@pytest.fixture
async def client(notify: Notify) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=notify.url, timeout=10) as http:
        yield http
