"""W3C trace context end to end over the real broker and MongoDB-wire server: an HTTP request's ``traceparent``
reaches the event's outbox document and AMQP headers, the downstream service's handler and its log lines, and the
event that handler emits in turn."""

from __future__ import annotations

import asyncio
import importlib.util
import io
import json
import logging
import re
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import httpx
import pytest
import structlog
from fastapi import APIRouter, Request

from contracts.envelope import Envelope
from contracts.events.reporting import ReportGenerated
from pilar_dev.testing import RunningApp, Tap
from pilar_runtime.consumer import EventHandlers
from pilar_runtime.events import new_event
from pilar_runtime.logs import configure_logging
from pilar_runtime.mongo import OUTBOX, Mongo, UnitOfWork
from pilar_runtime.service import Runtime, create_app
from pilar_runtime.settings import ServiceSettings
from pilar_runtime.timers import TimerPoller, ensure_timer_indexes, schedule_timer
from pilar_runtime.tracing import _otlp_exporter, configure_tracing
from tests.runtime.helpers import worker_event

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}")


def _registry_router() -> APIRouter:
    router = APIRouter()

    @router.post("/workers")
    async def register(request: Request) -> dict[str, str]:
        runtime: Runtime = request.app.state.runtime
        event = worker_event("w-traced")

        async def emit(uow: UnitOfWork) -> None:
            uow.emit(event)

        await runtime.mongo.transact(emit)
        return {"event_id": str(event.event_id)}

    return router


def _reporting_handlers() -> EventHandlers:
    handlers = EventHandlers()
    log = structlog.get_logger("test.reporting")

    @handlers.on("worker_registered")
    async def report(envelope: Envelope, payload: Any, uow: UnitOfWork) -> None:
        log.info("test.worker_seen")
        uow.emit(
            new_event(
                "report_generated",
                ReportGenerated(
                    report_id="rep-1",
                    kind="on_demand",
                    region_code="34.03.13",
                    formats=["csv"],
                    title="Uji",
                    download_path="/reports/rep-1/download",
                ),
                actor="reporting",
                region_code="34.03.13",
                aggregate_id="rep-1",
                aggregate_version=1,
            )
        )

    return handlers


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    """The JSON log lines written while the test runs."""
    configure_logging("reporting", fmt="json")
    (handler,) = logging.getLogger().handlers
    assert isinstance(handler, logging.StreamHandler)
    lines = io.StringIO()
    handler.setStream(lines)
    yield lines
    handler.setStream(sys.stderr)


@pytest.fixture
async def registry(stack_settings: dict[str, Any], logged: io.StringIO) -> AsyncIterator[httpx.AsyncClient]:
    """A registry that emits an event per request, and a reporting that handles it and emits one of its own."""
    registry_app = create_app(
        ServiceSettings(service="registry", **stack_settings), title="r", description="r", routers=[_registry_router()]
    )
    reporting_app = create_app(
        ServiceSettings(service="reporting", **stack_settings),
        title="p",
        description="p",
        handlers=_reporting_handlers(),
    )
    async with (
        RunningApp(registry_app) as running,
        RunningApp(reporting_app),
        httpx.AsyncClient(base_url=running.url) as client,
    ):
        yield client


async def _traces_on_the_bus(tap: Tap, want: set[str], timeout: float = 15.0) -> dict[str, str]:
    """The trace id in the ``traceparent`` AMQP header of each event type in ``want`` ("" without a valid one)."""
    found: dict[str, str] = {}
    deadline = asyncio.get_running_loop().time() + timeout
    while not want <= set(found):
        message = await tap.queue.get(fail=False)
        if message is None:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"saw {found}")
            await asyncio.sleep(0.05)
            continue
        await message.ack()
        match = _TRACEPARENT.fullmatch(str((message.headers or {}).get("traceparent", "")))
        found[message.type or ""] = match.group(1) if match else ""
    return found


async def _stored_trace(mongodb_url: str, database: str, event_type: str) -> str:
    mongo = Mongo(mongodb_url, database)
    try:
        document = await mongo.db[OUTBOX].find_one({"events.event_type": event_type})
    finally:
        await mongo.close()
    assert document is not None
    match = _TRACEPARENT.fullmatch(document["trace"]["traceparent"])
    assert match, document["trace"]
    return match.group(1)


async def test_a_callers_trace_reaches_the_downstream_handler_its_log_lines_and_the_events_it_emits(
    registry: httpx.AsyncClient,
    amqp: aio_pika.abc.AbstractConnection,
    namespace: str,
    mongodb_url: str,
    logged: io.StringIO,
) -> None:
    tap = await Tap.open(amqp, namespace)
    answer = await registry.post("/workers", headers={"traceparent": TRACEPARENT})
    assert answer.status_code == 200

    traces = await _traces_on_the_bus(tap, {"worker_registered", "report_generated"})
    assert traces == {"worker_registered": TRACE_ID, "report_generated": TRACE_ID}
    assert await _stored_trace(mongodb_url, f"{namespace}_registry", "worker_registered") == TRACE_ID
    assert await _stored_trace(mongodb_url, f"{namespace}_reporting", "report_generated") == TRACE_ID

    lines = [json.loads(line) for line in logged.getvalue().splitlines() if line.startswith("{")]
    seen = [line for line in lines if line["event"] == "test.worker_seen"]
    assert seen and all(line["trace_id"] == TRACE_ID for line in seen)
    requests = [line for line in lines if line["event"] == "http.request" and line.get("path") == "/workers"]
    assert requests and requests[0]["trace_id"] == TRACE_ID


@pytest.mark.parametrize("given", [None, "00-not-a-trace-01", f"00-{'0' * 32}-00f067aa0ba902b7-01"])
async def test_a_request_without_a_valid_traceparent_starts_a_trace_of_its_own(
    registry: httpx.AsyncClient, amqp: aio_pika.abc.AbstractConnection, namespace: str, given: str | None
) -> None:
    tap = await Tap.open(amqp, namespace)
    answer = await registry.post("/workers", headers={"traceparent": given} if given else {})
    assert answer.status_code == 200

    traces = await _traces_on_the_bus(tap, {"worker_registered", "report_generated"})
    assert traces["worker_registered"] not in ("", "0" * 32, TRACE_ID)
    assert traces["report_generated"] == traces["worker_registered"]


async def test_a_fired_timer_starts_a_trace_its_events_carry(mongo: Mongo) -> None:
    configure_tracing("notify")
    await ensure_timer_indexes(mongo)
    past = datetime.now(UTC) - timedelta(seconds=1)

    async def emit(data: dict[str, Any], uow: UnitOfWork) -> None:
        uow.emit(worker_event(data["id"]))

    async def plant(uow: UnitOfWork) -> None:
        for key in ("a", "b"):
            await schedule_timer(uow, "reminder", key, past, {"id": key})

    await mongo.transact(plant)
    assert await TimerPoller(mongo, {"reminder": emit}, service="notify").fire_due() == 2

    traces = [_TRACEPARENT.fullmatch(d["trace"]["traceparent"]) async for d in mongo.db[OUTBOX].find()]
    ids = {match.group(1) for match in traces if match}
    assert len(traces) == 2 and len(ids) == 2  # one trace per timer
    assert "0" * 32 not in ids


def test_spans_are_exported_only_with_the_exporter_package(
    monkeypatch: pytest.MonkeyPatch, logged: io.StringIO
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    assert importlib.util.find_spec("opentelemetry.exporter") is None  # not a dependency: propagation only
    assert _otlp_exporter() is None
    (line,) = [json.loads(line) for line in logged.getvalue().splitlines() if "tracing." in line]
    assert line["event"] == "tracing.exporter_missing" and line["exporting"] is False
