"""Helpers for the fault-injection tests: a webhook receiver, the broker restart, a second replica of a service,
and the "nothing lost, nothing doubled" checks over reporting's feed and notify's deliveries."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections import Counter
from typing import Any

import aio_pika
import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from contracts import topology
from pilar_dev.devstack import free_port
from pilar_runtime.brokerusers import broker_user
from tests.e2e.stack import Stack

WORKER_REGION = "34.03.13"
SECRET = "fault-tests-secret-0123456789"


class WebhookReceiver:
    """A real HTTP endpoint notify posts events to; keeps every (event id, delivery id) it received."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str]] = []

        async def receive(request: Request) -> Response:
            self.received.append(
                (request.headers.get("x-pilar-event-id", ""), request.headers.get("x-pilar-delivery-id", ""))
            )
            return Response(status_code=204)

        self.app = Starlette(routes=[Route("/hook", receive, methods=["POST"])])

    def event_ids(self) -> set[str]:
        return {event_id for event_id, _ in self.received}


async def restart_broker() -> float:
    """Stop and start the RabbitMQ application (the node stays up, so it comes back in a few seconds).

    Returns how long the broker was away, in seconds.
    """
    loop = asyncio.get_running_loop()
    began = loop.time()
    for command in (["rabbitmqctl", "stop_app"], ["rabbitmqctl", "start_app"], ["rabbitmqctl", "await_startup"]):
        done = await asyncio.to_thread(subprocess.run, command, capture_output=True, timeout=120)
        assert done.returncode == 0, f"{command}: {done.stderr.decode(errors='replace')}"
    return loop.time() - began


async def wait_ready(stack: Stack, services: tuple[str, ...], timeout: float = 90) -> None:
    await asyncio.gather(*(stack.wait_ready(service, timeout=timeout) for service in services))


async def feed(reporting: httpx.AsyncClient, event_type: str = "") -> list[dict[str, Any]]:
    """Reporting's whole event feed, every page."""
    items: list[dict[str, Any]] = []
    after: int | None = None
    while True:
        params: dict[str, Any] = {"limit": 1000}
        if event_type:
            params["type"] = event_type
        if after is not None:
            params["after"] = after
        answer = await reporting.get("/events", params=params)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        items.extend(body["items"])
        if not body["items"] or body.get("next") is None:
            return items
        after = body["next"]


async def deliveries(notify: httpx.AsyncClient, **filters: str) -> list[dict[str, Any]]:
    """Notify's whole delivery list, every page."""
    items: list[dict[str, Any]] = []
    while True:
        answer = await notify.get("/deliveries", params={**filters, "limit": 500, "offset": len(items)})
        assert answer.status_code == 200, answer.text
        page = answer.json()["items"]
        items.extend(page)
        if len(page) < 500:
            return items


def assert_each_once(feed_items: list[dict[str, Any]], delivery_items: list[dict[str, Any]]) -> None:
    """Every event id once in the feed; one delivery per (event, recipient, channel)."""
    doubled = [event_id for event_id, n in Counter(item["event_id"] for item in feed_items).items() if n > 1]
    assert not doubled, f"events stored twice by reporting: {doubled[:5]}"
    keys = Counter((d["event_id"], d["recipient"], d["channel"]) for d in delivery_items)
    twice = [key for key, n in keys.items() if n > 1]
    assert not twice, f"deliveries doubled: {twice[:5]}"


async def publish_raw(
    amqp_url: str, namespace: str, routing_key: str, body: bytes, *, times: int = 1, message_type: str | None = None
) -> None:
    """Publish bytes straight to the namespaced events exchange, with publisher confirms, as the stack's one broker
    user (every service's user in the test stack)."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(topology.namespaced(topology.EVENTS_EXCHANGE, namespace))
        for _ in range(times):
            await exchange.publish(
                aio_pika.Message(
                    body=body,
                    content_type="application/json",
                    type=message_type,
                    user_id=broker_user(amqp_url),
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=routing_key,
            )


class Replica:
    """A second process of one of the stack's services: same database, same queue, its own port."""

    def __init__(self, stack: Stack, service: str) -> None:
        self.stack = stack
        self.service = service
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_file(self) -> Any:
        return self.stack.workdir / f"{self.service}-replica.log"

    def _spawn(self) -> subprocess.Popen[bytes]:
        env = {**self.stack.env(self.service), f"{self.service.upper()}_PORT": str(self.port)}
        out = self.log_file().open("ab")
        return subprocess.Popen([sys.executable, "-m", f"services.{self.service}"], env=env, stdout=out, stderr=out)

    async def start(self, timeout: float = 60) -> None:
        self.process = self._spawn()
        deadline = asyncio.get_running_loop().time() + timeout
        async with httpx.AsyncClient(timeout=2) as client:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"replica exited: {self.log_file().read_text(errors='replace')[-3000:]}")
                try:
                    if (await client.get(f"{self.url}/readyz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError("replica not ready")
                await asyncio.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
