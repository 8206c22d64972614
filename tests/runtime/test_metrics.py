"""What an operator alerts on, scraped from a running service's /metrics after it did things (real broker and
MongoDB-wire server): requests by route template and status, handling time, dead letters, outbox age, timers due."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import httpx
import pytest
from bson import ObjectId
from fastapi import APIRouter, HTTPException

from contracts import topology
from contracts.envelope import Envelope
from pilar_dev.scrape import Samples, samples, value
from pilar_dev.testing import RunningApp, eventually, publish_event
from pilar_runtime.brokerusers import broker_user
from pilar_runtime.consumer import EventHandlers
from pilar_runtime.metrics import OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE, TIMERS_DUE
from pilar_runtime.mongo import OUTBOX, Mongo, UnitOfWork
from pilar_runtime.outbox import measure_outbox
from pilar_runtime.service import create_app
from pilar_runtime.settings import ServiceSettings
from pilar_runtime.timers import ensure_timer_indexes, measure_timers, schedule_timer
from tests.runtime.helpers import worker_event

SERVICE = "reporting"
ROUTE = "/records/{record_id}"


def _router() -> APIRouter:
    router = APIRouter()

    @router.get(ROUTE)
    async def get_record(record_id: str) -> dict[str, str]:
        if record_id != "ins-0001":
            raise HTTPException(404, "no such record")
        return {"id": record_id}

    return router


def _handlers() -> EventHandlers:
    handlers = EventHandlers()

    @handlers.on("worker_registered")
    async def keep(envelope: Envelope, payload: Any, uow: UnitOfWork) -> None:
        await uow.db.seen.insert_one({"_id": str(envelope.event_id)}, session=uow.session)

    return handlers


@pytest.fixture
async def service(stack_settings: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    settings = ServiceSettings(service=SERVICE, **stack_settings)  # type: ignore[arg-type]
    app = create_app(settings, title="t", description="t", routers=[_router()], handlers=_handlers())
    async with RunningApp(app) as running, httpx.AsyncClient(base_url=running.url) as client:
        yield client


async def _scrape(client: httpx.AsyncClient) -> Samples:
    page = await client.get("/metrics")
    assert page.status_code == 200
    return samples(page.text)


async def test_requests_are_counted_and_timed_by_route_template_never_by_path(service: httpx.AsyncClient) -> None:
    before = await _scrape(service)
    assert (await service.get("/records/ins-0001")).status_code == 200
    assert (await service.get("/records/ins-0001")).status_code == 200
    assert (await service.get("/records/ins-9999")).status_code == 404
    assert (await service.get("/no/such/place/3403134107850002")).status_code == 404
    after = await _scrape(service)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, service=SERVICE, **labels) - value(before, name, service=SERVICE, **labels)

    assert grew("pilar_http_requests_total", method="GET", route=ROUTE, status="200") == 2
    assert grew("pilar_http_requests_total", method="GET", route=ROUTE, status="404") == 1
    assert grew("pilar_http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert grew("pilar_http_request_duration_seconds_count", method="GET", route=ROUTE) == 3
    assert grew("pilar_http_request_duration_seconds_bucket", method="GET", route=ROUTE, le="+Inf") == 3
    routes = {dict(labels)["route"] for _, labels in after if "route" in dict(labels)}
    assert ROUTE in routes
    assert not [r for r in routes if "ins-" in r or "3403134107850002" in r]  # ids never become label values


async def test_handling_time_and_dead_letters_are_counted(
    service: httpx.AsyncClient, amqp: aio_pika.abc.AbstractConnection, amqp_url: str, namespace: str
) -> None:
    before = await _scrape(service)
    channel = await amqp.channel()
    exchange = await channel.declare_exchange(
        topology.namespaced(topology.EVENTS_EXCHANGE, namespace), aio_pika.ExchangeType.TOPIC, durable=True
    )
    await publish_event(exchange, worker_event("w-metrics"), amqp_url=amqp_url)
    garbage = aio_pika.Message(b"not json", user_id=broker_user(amqp_url))
    await exchange.publish(garbage, routing_key="registry.worker_registered")

    def grew(page: Samples, name: str, **labels: str) -> float:
        return value(page, name, service=SERVICE, **labels) - value(before, name, service=SERVICE, **labels)

    async def both_settled() -> bool:
        page = await _scrape(service)
        return (
            grew(page, "pilar_messages_dead_lettered_total", event_type="other") >= 1
            and grew(page, "pilar_message_handling_duration_seconds_count", event_type="worker_registered") >= 1
            and value(page, "pilar_dlq_depth", service=SERVICE) >= 1
        )

    await eventually(both_settled, what="a handled and a dead-lettered message in the metrics")
    after = await _scrape(service)
    assert grew(after, "pilar_messages_dead_lettered_total", event_type="other") == 1
    assert grew(after, "pilar_messages_handled_total", event_type="worker_registered") == 1
    assert grew(after, "pilar_message_handling_duration_seconds_count", event_type="worker_registered") == 1
    assert value(after, "pilar_dlq_depth", service=SERVICE) == 1
    assert value(after, "pilar_outbox_backlog", service=SERVICE) == 0
    assert value(after, "pilar_outbox_oldest_age_seconds", service=SERVICE) == 0
    assert ("pilar_timers_due", frozenset({("service", SERVICE)})) in after


async def test_outbox_age_is_that_of_its_oldest_unpublished_event(mongo: Mongo) -> None:
    written = datetime.now(UTC) - timedelta(seconds=90)
    await mongo.db[OUTBOX].insert_many(
        [
            {"_id": ObjectId.from_datetime(written), "event_id": "e-old", "sent_at": None},
            {"_id": ObjectId(), "event_id": "e-new", "sent_at": None},
            {"_id": ObjectId.from_datetime(written - timedelta(hours=1)), "event_id": "e-sent", "sent_at": written},
        ]
    )
    await measure_outbox(mongo, "outreach")
    assert OUTBOX_BACKLOG.labels(service="outreach")._value.get() == 2
    assert 89 <= OUTBOX_OLDEST_AGE.labels(service="outreach")._value.get() < 120

    await mongo.db[OUTBOX].update_many({}, {"$set": {"sent_at": datetime.now(UTC)}})
    await measure_outbox(mongo, "outreach")
    assert OUTBOX_OLDEST_AGE.labels(service="outreach")._value.get() == 0


async def test_timers_due_counts_pending_timers_whose_time_has_come(mongo: Mongo) -> None:
    await ensure_timer_indexes(mongo)
    now = datetime.now(UTC)

    async def plant(uow: UnitOfWork) -> None:
        await schedule_timer(uow, "reminder", "late-1", now - timedelta(minutes=5), {})
        await schedule_timer(uow, "reminder", "late-2", now - timedelta(seconds=1), {})
        await schedule_timer(uow, "reminder", "later", now + timedelta(hours=3), {})

    await mongo.transact(plant)
    await mongo.db.timers.update_one({"key": "late-2"}, {"$set": {"status": "fired"}})
    await measure_timers(mongo, "notify")
    assert TIMERS_DUE.labels(service="notify")._value.get() == 1
