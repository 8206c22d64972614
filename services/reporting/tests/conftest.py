"""Reporting running for real (uvicorn, RabbitMQ, Mongo-wire server), fed by publishing recorded events."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import pytest

from contracts import topology
from contracts.envelope import Envelope
from pilar_dev.testing import RunningApp, bearer, eventually, publish_event
from pilar_runtime.mongo import Mongo
from services.reporting.app import build
from services.reporting.reports.charts import bar_chart
from services.reporting.settings import ReportingSettings
from services.reporting.tests.scenario import scenario

ADMIN = bearer("admin", "", sub="admin-test")

Publish = Callable[[list[Envelope]], Awaitable[None]]


@dataclass
class Reporting:
    url: str
    http: httpx.AsyncClient
    mongo: Mongo  # reporting's own database, for checks the API does not expose

    async def get(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> Any:
        response = await self.http.get(path, params=params, headers=headers or ADMIN)
        assert response.status_code == 200, response.text
        return response.json()

    async def stored_events(self) -> int:
        return int(await self.mongo.db.events.count_documents({}))


# The kop and signature the reports are built under (seed 001's office and its Kepala Seksi Penyuluhan).
LETTERHEAD = {
    "letterhead_office": "Dinas Sosial Daerah Istimewa Yogyakarta",
    "letterhead_address": "Jl. Janti No. 23, Banguntapan, Bantul",
    "letterhead_city": "Wonosari",
    "signature_jabatan": "Kepala Seksi Penyuluhan Sosial",
    "signature_nama": "Budhi Wibowo",
    "signature_nip": "19650101 199003 1 001",
}


@pytest.fixture
async def reporting(stack_settings: dict[str, str], tmp_path: Path) -> AsyncIterator[Reporting]:
    logo = tmp_path / "logo.png"
    logo.write_bytes(bar_chart("Logo", ["a"], {"x": [1]}))  # any PNG does
    settings = ReportingSettings(
        **stack_settings,  # type: ignore[arg-type]
        **LETTERHEAD,  # type: ignore[arg-type]
        letterhead_logo_path=str(logo),
        report_poll_seconds=0.2,
        timer_poll_seconds=0.2,
        monthly_report_grace_seconds=1.5,
    )
    async with RunningApp(build(settings)) as running:
        mongo = Mongo(settings.mongodb_url, settings.database)
        async with httpx.AsyncClient(base_url=running.url, timeout=30) as http:
            yield Reporting(running.url, http, mongo)
        await mongo.close()


@pytest.fixture
async def publish(amqp: aio_pika.abc.AbstractConnection, amqp_url: str, namespace: str) -> Publish:
    channel = await amqp.channel()
    exchange = await channel.declare_exchange(
        topology.namespaced(topology.EVENTS_EXCHANGE, namespace), aio_pika.ExchangeType.TOPIC, durable=True
    )

    async def send(events: list[Envelope]) -> None:
        for event in events:
            await publish_event(exchange, event, amqp_url=amqp_url)

    return send


def shuffled_with_duplicates(seed: int = 42) -> list[Envelope]:
    """The recorded sequence out of order, with some events delivered twice."""
    events = scenario()
    rng = random.Random(seed)
    rng.shuffle(events)
    return events + rng.sample(events, 12)


async def fed(reporting: Reporting, publish: Publish, events: list[Envelope]) -> None:
    """Publish and wait until every distinct event is stored."""
    await publish(events)
    ids = sorted({str(e.event_id) for e in events})

    async def stored() -> bool:
        return await reporting.mongo.db.events.count_documents({"event_id": {"$in": ids}}) == len(ids)

    await eventually(stored, timeout=60)


async def settled(reporting: Reporting, reports: int = 6) -> None:
    """Wait until the automatic reports of the scenario (the campaign report, four monthly ones and the FGD
    minutes) are built and their report_generated events stored: those are events too, and move the counters.
    The FGD minutes may be built more than once (a new version as follow-ups move): each build is one event."""

    async def quiet() -> bool:
        db = reporting.mongo.db
        jobs = await db.reports.find({}, {"status": 1, "version": 1}).to_list(None)
        builds = sum(job["version"] - 1 for job in jobs)
        generated = await db.events.count_documents({"event_type": "report_generated"})
        return len(jobs) == reports and all(job["status"] == "done" for job in jobs) and generated == builds

    await eventually(quiet, timeout=60)
