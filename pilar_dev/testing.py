"""Test support shared by the runtime's, the services' and the end-to-end tests: real servers, unique names.

Tests talk to a real RabbitMQ (``AMQP_URL``, default local) and a real MongoDB-wire server (``MONGODB_URL``,
or a SecantusDB process started here). Every test gets its own namespace, so queues, exchanges and
databases never meet another test's, and the namespace's broker objects are deleted afterwards.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue

from contracts import topology
from contracts.envelope import Envelope
from pilar_runtime.auth import Caller
from pilar_runtime.brokeraddresses import connect_first
from pilar_runtime.brokerusers import broker_user
from pilar_runtime.keys import SigningKey, jwks
from pilar_runtime.mongo import OUTBOX, Mongo

DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"


def new_namespace(prefix: str = "t") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


PARTITIONS_CLEANED = 8  # the most partitions a test or benchmark runs a service with


async def delete_namespace(amqp_url: str, namespace: str, extra_queues: tuple[str, ...] = ()) -> None:
    """Delete the queues and exchanges a namespace may have declared on the broker."""
    connection = await connect_first(amqp_url)
    async with connection:
        for service in topology.SERVICES:
            for name in (
                topology.service_queue(service, namespace),
                topology.dead_letter_queue(service, namespace),
                *(topology.partition_queue(service, p, namespace) for p in range(PARTITIONS_CLEANED)),
            ):
                channel = await connection.channel()
                await channel.queue_delete(name)
            for name in (
                topology.partition_exchange(service, namespace),
                topology.unsharded_exchange(service, namespace),
            ):
                channel = await connection.channel()
                await channel.exchange_delete(name)
        for name in extra_queues:
            channel = await connection.channel()
            await channel.queue_delete(name)
        for exchange in (topology.EVENTS_EXCHANGE, topology.DEAD_LETTER_EXCHANGE):
            channel = await connection.channel()
            await channel.exchange_delete(topology.namespaced(exchange, namespace))


async def publish_event(exchange: AbstractExchange, event: Envelope, *, amqp_url: str, **properties: Any) -> None:
    """Put an event on the bus as its producer's outbox relay would: under ``<producer>.<event_type>``, with the
    connection's broker user as ``user_id`` (tests run the whole stack as that one user)."""
    headers = {topology.SHARD_HEADER: str(topology.shard_of(event.aggregate_id)), **properties.pop("headers", {})}
    message = aio_pika.Message(
        event.to_json(),
        content_type="application/json",
        message_id=str(event.event_id),
        type=event.event_type,
        user_id=broker_user(amqp_url),
        headers=headers,
        **properties,
    )
    await exchange.publish(message, routing_key=event.routing_key)


class Tap:
    """A temporary queue bound to the namespace's events exchange: what tests observe on the bus."""

    def __init__(self, channel: AbstractChannel, queue: AbstractQueue) -> None:
        self.channel = channel
        self.queue = queue

    @classmethod
    async def open(cls, connection: aio_pika.abc.AbstractConnection, namespace: str, pattern: str = "#") -> Tap:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            topology.namespaced(topology.EVENTS_EXCHANGE, namespace),
            aio_pika.ExchangeType.TOPIC,
            durable=True,
        )
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange, routing_key=pattern)
        return cls(channel, queue)

    async def collect(
        self, until: Callable[[list[dict[str, Any]]], bool], timeout: float = 15.0
    ) -> list[dict[str, Any]]:
        """Gather event bodies until ``until(seen)`` holds, or raise TimeoutError with what was seen."""
        seen: list[dict[str, Any]] = []
        deadline = asyncio.get_running_loop().time() + timeout
        while not until(seen):
            message = await self.queue.get(fail=False)
            if message is None:
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError(f"saw {[e.get('event_type') for e in seen]}")
                await asyncio.sleep(0.05)
                continue
            await message.ack()
            seen.append(json.loads(message.body))
        return seen


async def eventually(
    check: Callable[[], Awaitable[bool]], timeout: float = 15.0, interval: float = 0.1, *, what: str = "condition"
) -> None:
    """Wait until an async condition holds; fails the test with a TimeoutError naming ``what`` otherwise."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(interval)


class RunningApp:
    """A service's FastAPI app served by a real uvicorn server on a free port, lifespan included."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        from pilar_dev.devstack import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = app
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None, lifespan="on")
        )
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> RunningApp:
        self._task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError("server stopped during start-up")
            await asyncio.sleep(0.02)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.should_exit = True
        if self._task:
            await self._task


# The console's signing key in tests: fixed, so separate processes (the e2e stack) agree on it. Services get only
# its public half, TEST_JWKS (PILAR_JWKS).
TEST_SIGNING_KEY_PEM = b"""-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIDMgf5KvDy/VSpS3EgvuwWoxjIGmsCyiXQG7NpAmRRrg
-----END PRIVATE KEY-----
"""
TEST_SIGNING_KEY = SigningKey.from_pem(TEST_SIGNING_KEY_PEM)
TEST_JWKS = json.dumps(jwks(TEST_SIGNING_KEY))
TEST_LINK_SECRET = "test-only-link-secret-0123456789-abcdefghij"


def bearer(role: str, region: str = "", sub: str = "op-test") -> dict[str, str]:
    """An Authorization header for tests, signed with TEST_SIGNING_KEY. Every role but admin needs a region."""
    from pilar_runtime.auth import issue_token

    return {"Authorization": f"Bearer {issue_token(TEST_SIGNING_KEY, sub=sub, role=role, region=region)}"}


def verified(token: str, key: SigningKey = TEST_SIGNING_KEY) -> Caller:
    """The caller a token names, checked as a service checks it, trusting only ``key``'s published half."""
    from pilar_runtime.settings import ServiceSettings

    return asyncio.run(ServiceSettings(jwks=json.dumps(jwks(key))).token_verifier().verify(token))


async def outbox_events(mongo: Mongo) -> list[dict[str, Any]]:
    """Every event a service's outbox holds, published or not, in the order written (a commit's events share one
    outbox document)."""
    return [json.loads(e["body"]) async for d in mongo.db[OUTBOX].find().sort("_id", 1) for e in d["events"]]
