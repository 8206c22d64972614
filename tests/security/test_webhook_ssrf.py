"""Finding 5: a webhook URL must not make notify reach inward — not at registration, not at any send.

Nothing here connects anywhere but loopback: every socket connect of the test process is guarded, and one to a
non-loopback address (or to the port the hostile URLs name) is recorded and refused before it leaves the
machine. Names resolve through a resolver the test controls (`socket.getaddrinfo`, which asyncio, anyio and
httpx all use). So a refusal proves itself: the address rule said no before any socket was opened.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from typing import Any

import aio_pika
import httpx
import pytest

from contracts import topology
from contracts.envelope import Envelope
from pilar_dev.devstack import free_port
from pilar_dev.testing import RunningApp, bearer, eventually, publish_event
from services.notify.app import build
from services.notify.settings import NotifySettings
from services.notify.tests.conftest import Notify, receiver  # noqa: F401 — fixture
from services.notify.tests.support import FakeClock, Receiver, daytime_start, scheduled

OPERATOR = bearer("district_operator", "34.03")
SECRET = "kunci-rahasia-gunungkidul-2026"
LOOPBACK = "127.0.0.0/8,::1/128"


class Guard:
    """Resolver and connect guard for the whole test process."""

    def __init__(self, hostile_port: int) -> None:
        self.hostile_port = hostile_port
        self.names: dict[str, list[str]] = {}
        self.blocked: list[tuple[str, int]] = []

    def refuses(self, address: Any) -> bool:
        if not isinstance(address, tuple):
            return False  # a Unix socket
        host, port = str(address[0]), int(address[1])
        if port == self.hostile_port or not ipaddress.ip_address(host.split("%")[0]).is_loopback:
            self.blocked.append((host, port))
            return True
        return False


@pytest.fixture
def guard(monkeypatch: pytest.MonkeyPatch) -> Guard:
    found = Guard(free_port())
    resolve, connect, connect_ex = socket.getaddrinfo, socket.socket.connect, socket.socket.connect_ex

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name in found.names:
            return [
                (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a, int(port or 0), 0, 0) if ":" in a else (a, int(port or 0)))
                for a in found.names[name]
            ]  # fmt: skip
        return resolve(host, port, *args, **kwargs)

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        if found.refuses(address):
            raise ConnectionRefusedError("blocked by the test: not loopback, or the hostile URL's port")
        return connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> Any:
        if found.refuses(address):
            raise ConnectionRefusedError("blocked by the test: not loopback, or the hostile URL's port")
        return connect_ex(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    return found


StartNotify = Callable[..., AbstractAsyncContextManager[tuple[Notify, httpx.AsyncClient]]]


@pytest.fixture
def start_notify(stack_settings: dict[str, str], amqp: aio_pika.abc.AbstractRobustConnection, namespace: str) -> Any:
    @asynccontextmanager
    async def start(**settings: Any) -> AsyncIterator[tuple[Notify, httpx.AsyncClient]]:
        config = NotifySettings.model_validate(
            {**stack_settings, "default_rules": False, "retry_schedule": "0.05",
             "dispatch_poll_seconds": 0.05, "relay_poll_seconds": 0.05, **settings}
        )  # fmt: skip
        channel = await amqp.channel()
        exchange = await channel.declare_exchange(
            topology.namespaced(topology.EVENTS_EXCHANGE, namespace), aio_pika.ExchangeType.TOPIC, durable=True
        )

        async def publish(envelope: Envelope) -> None:
            await publish_event(exchange, envelope, amqp_url=config.amqp_url)

        clock = FakeClock(daytime_start())
        app = build(config, clock=clock)
        async with RunningApp(app) as running, httpx.AsyncClient(base_url=running.url, timeout=10) as http:
            yield Notify(running.url, app.state.runtime, clock, publish), http

    return start


def webhook(url: str) -> dict[str, Any]:
    return {"url": url, "event_patterns": ["outreach.*"], "region_code": "34.03", "secret": SECRET}


def hostile_urls(port: int) -> list[str]:
    """Loopback, the metadata service, private and other inward addresses in many spellings, and names."""
    return [
        f"http://127.0.0.1:{port}/",
        f"http://2130706433:{port}/",
        f"http://0x7f.1:{port}/",
        f"http://127.1:{port}/",
        f"http://0x7f000001:{port}/",
        f"http://[::1]:{port}/",
        f"http://[::ffff:127.0.0.1]:{port}/",
        f"http://[::ffff:7f00:1]:{port}/",
        f"http://[0:0:0:0:0:ffff:7f00:1]:{port}/",
        f"http://[2002:7f00:1::1]:{port}/",
        f"http://[64:ff9b::a9fe:a9fe]:{port}/",
        f"http://169.254.169.254:{port}/latest/meta-data/",
        f"http://[::ffff:169.254.169.254]:{port}/",
        f"http://0251.0376.0251.0376:{port}/",
        f"http://10.0.0.5:{port}/",
        f"http://10.1:{port}/",
        f"http://172.16.0.1:{port}/",
        f"http://192.168.1.1:{port}/",
        f"https://100.64.0.1:{port}/",
        f"http://0.0.0.0:{port}/",
        f"http://0:{port}/",
        f"http://[::]:{port}/",
        f"http://224.0.0.1:{port}/",
        f"http://[fe80::1]:{port}/",
        f"http://[fc00::1]:{port}/",
        f"http://localhost:{port}/",
        f"http://metadata.pilar.test:{port}/",
        f"http://intranet.pilar.test:{port}/",
        f"http://mixed.pilar.test:{port}/",
    ]


async def test_inward_urls_are_refused_at_registration_before_any_connection(
    guard: Guard, start_notify: StartNotify
) -> None:
    guard.names.update({
        "localhost": ["127.0.0.1", "::1"],
        "metadata.pilar.test": ["169.254.169.254"],
        "intranet.pilar.test": ["10.0.0.5"],
        "mixed.pilar.test": ["8.8.8.8", "10.0.0.5"],  # one inward answer is enough to refuse
    })  # fmt: skip
    async with start_notify() as (_, client):
        for url in hostile_urls(guard.hostile_port):
            answer = await client.post("/webhooks", json=webhook(url), headers=OPERATOR)
            assert answer.status_code == 422, (url, answer.text)
            detail = answer.json()["detail"]
            assert detail.startswith("url: "), (url, detail)
            assert "Error" not in detail and "refused" not in detail.lower(), (url, detail)  # no port-scan answer
            assert not guard.blocked, f"{url}: notify tried to connect to {guard.blocked}"
        assert (await client.get("/webhooks", headers=OPERATOR)).json()["total"] == 0


async def test_the_reachability_check_does_not_say_why_a_port_failed(
    guard: Guard,
    start_notify: StartNotify,
    receiver: tuple[Receiver, str],  # noqa: F811
) -> None:
    _, url = receiver
    closed = free_port()
    async with start_notify(webhook_allowed_networks=LOOPBACK) as (_, client):
        answers = [
            await client.post("/webhooks", json=webhook(f"http://127.0.0.1:{port}/hook"), headers=OPERATOR)
            for port in (closed, guard.hostile_port)
        ]
        for answer in answers:
            assert answer.status_code == 422
        assert answers[0].json() == answers[1].json()  # nothing listening ≡ a connect refused: one answer
        assert answers[0].json()["detail"] == "url: nothing accepted a connection at this URL's host and port"
        admitted = await client.post("/webhooks", json=webhook(f"{url}/hook"), headers=OPERATOR)
        assert admitted.status_code == 201, admitted.text  # the operator's allow-list admits loopback


async def test_a_name_that_turns_inward_after_registration_is_refused_at_send_time(
    guard: Guard, start_notify: StartNotify
) -> None:
    name = "sidinsos.pilar.test"
    guard.names[name] = ["8.8.8.8"]  # public when it is registered (not connected to: the check is off here)
    async with start_notify(webhook_check_reachable=False) as (notify, client):
        url = f"http://{name}:{guard.hostile_port}/pilar"
        answer = await client.post("/webhooks", json=webhook(url), headers=OPERATOR)
        assert answer.status_code == 201, answer.text
        guard.names[name] = ["10.0.0.5"]  # DNS rebinding: now it names the intranet
        envelope = scheduled("ses_dns", (notify.clock() + timedelta(days=7)).replace(microsecond=0))
        await notify.publish(envelope)

        async def failed() -> bool:
            return any(d["status"] == "failed" for d in await notify.deliveries(event_id=str(envelope.event_id)))

        await eventually(failed, what="the webhook delivery to fail")
        [delivery] = await notify.deliveries(event_id=str(envelope.event_id))
        assert not guard.blocked, f"notify connected to {guard.blocked}"
        assert all("webhook refused" in a["error"] for a in delivery["attempts"]), delivery["attempts"]


async def test_an_admitted_name_is_connected_at_its_vetted_address_with_its_own_host_header(
    guard: Guard,
    start_notify: StartNotify,
    receiver: tuple[Receiver, str],  # noqa: F811
) -> None:
    hooks, url = receiver
    port = httpx.URL(url).port
    guard.names["sidinsos.pilar.test"] = ["127.0.0.1"]
    async with start_notify(webhook_allowed_networks=LOOPBACK) as (notify, client):
        answer = await client.post("/webhooks", json=webhook(f"http://sidinsos.pilar.test:{port}/pilar"),
                                   headers=OPERATOR)  # fmt: skip
        assert answer.status_code == 201, answer.text
        await notify.publish(scheduled("ses_ok", (notify.clock() + timedelta(days=7)).replace(microsecond=0)))
        await eventually(lambda: asyncio.sleep(0, bool(hooks.calls)), what="the webhook call")
    assert hooks.calls[0].headers["host"] == f"sidinsos.pilar.test:{port}"
    assert not guard.blocked
