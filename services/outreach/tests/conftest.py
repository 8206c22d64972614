"""A running outreach service on the real broker and Mongo-wire server, with a tap on its events and a way to
publish registry's worker events into it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aio_pika
import httpx
import pytest

from contracts import topology
from contracts.events.registry import WorkerRegistered, WorkerUpdated
from pilar_dev.testing import RunningApp, Tap, bearer, eventually, publish_event
from pilar_runtime.events import new_event
from pilar_runtime.mongo import Mongo
from pilar_runtime.timers import TimerPoller
from services.outreach.app import build
from services.outreach.handlers import timer_handlers
from services.outreach.settings import OutreachSettings
from services.outreach.store import WORKERS


@dataclass
class Outreach:
    client: httpx.AsyncClient
    tap: Tap
    mongo: Mongo
    exchange: aio_pika.abc.AbstractExchange
    amqp_url: str

    async def worker(
        self, worker_id: str, *, version: int = 1, active: bool = True, region: str = "34.03", role: str = "PSM"
    ) -> None:
        """Publish registry's event for a worker, as registry would."""
        model = WorkerRegistered if version == 1 else WorkerUpdated
        event = new_event(
            "worker_registered" if version == 1 else "worker_updated",
            model(worker_id=worker_id, role=role, name=f"Petugas {worker_id}", region_code=region, active=active),
            actor="registry-test",
            region_code=region,
            aggregate_id=worker_id,
            aggregate_version=version,
        )
        await publish_event(self.exchange, event, amqp_url=self.amqp_url)

    async def workers(self, *ids: str, region: str = "34.03") -> None:
        for worker_id in ids:
            await self.worker(worker_id, region=region)

        async def all_known() -> bool:
            return await self.mongo.db[WORKERS].count_documents({"_id": {"$in": list(ids)}}) == len(ids)

        await eventually(all_known)

    async def events(self, expected: dict[str, int], timeout: float = 15.0) -> list[dict[str, Any]]:
        """Collect until each event type was seen at least the given number of times."""

        def enough(seen: list[dict[str, Any]]) -> bool:
            return all(sum(e["event_type"] == t for e in seen) >= n for t, n in expected.items())

        return await self.tap.collect(enough, timeout=timeout)

    def poller(self, now: datetime) -> TimerPoller:
        """A timer poller whose clock says ``now``."""
        return TimerPoller(self.mongo, timer_handlers, service="outreach", clock=lambda: now)


def auth(region: str = "34.03", role: str = "district_operator", sub: str = "op-gk") -> dict[str, str]:
    return bearer(role=role, region=region, sub=sub)


@pytest.fixture
async def outreach(
    stack_settings: dict[str, str], amqp: aio_pika.abc.AbstractRobustConnection, namespace: str
) -> AsyncIterator[Outreach]:
    # The service's own poller would fire 2019 timers at once; the tests drive timers with a clock of their own.
    settings = OutreachSettings(**stack_settings, timer_poll_seconds=3600, relay_poll_seconds=0.1)  # type: ignore[arg-type]
    tap = await Tap.open(amqp, namespace, "outreach.#")
    channel = await amqp.channel()
    exchange = await channel.declare_exchange(
        topology.namespaced(topology.EVENTS_EXCHANGE, namespace), aio_pika.ExchangeType.TOPIC, durable=True
    )
    mongo = Mongo(settings.mongodb_url, settings.database)
    async with RunningApp(build(settings)) as running, httpx.AsyncClient(base_url=running.url, timeout=30) as client:
        yield Outreach(client, tap, mongo, exchange, settings.amqp_url)
    await mongo.close()
    await channel.close()
