"""A running registry (real uvicorn, RabbitMQ and Mongo-wire server) and a tap on its namespace's exchange."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import aio_pika
import httpx
import pytest

from contracts import topology
from contracts.envelope import Envelope
from contracts.events.common import SessionKind
from contracts.events.outreach import CampaignPlanned, SessionScheduled
from pilar_dev.testing import RunningApp, Tap, bearer, eventually, publish_event
from pilar_runtime.events import new_event
from pilar_runtime.mongo import Mongo
from services.registry.app import build
from services.registry.settings import RegistrySettings

GUNUNGKIDUL = bearer("district_operator", "34.03", sub="op-gunungkidul")
BANGKA_BARAT = bearer("district_operator", "19.05", sub="op-bangka-barat")
BONDOWOSO = bearer("district_operator", "35.11", sub="op-bondowoso")
ADMIN = bearer("admin", "", sub="admin-kemensos")
VIEWER = bearer("viewer", "34.03", sub="viewer-gunungkidul")

KAMPUNG = "34.03.13.2004"  # Desa Kampung, Ngawen, Gunungkidul (seed 001)
BEJI = "34.03.13.2005"
NGAWEN = "34.03.13"
PELANGAS = "19.05.02.2001"  # Desa Pelangas, Simpang Teritip, Bangka Barat (seed 000)
SUCOLOR = "35.11.01.2001"  # Desa Sucolor, Maesan, Bondowoso (seed 004)


def outreach_plan(campaign_id: str, region_code: str, sessions: dict[str, str]) -> list[Envelope]:
    """Outreach's campaign_planned and session_scheduled (session id → desa) for a campaign in August 2019."""
    day = date(2019, 8, 8)
    planned = CampaignPlanned(
        campaign_id=campaign_id,
        name=f"Kampanye {campaign_id}",
        topic="Penumbuhan WKSBM",
        region_code=region_code,
        start_date=day,
        end_date=date(2019, 8, 30),
        desa_codes=sorted(set(sessions.values())),
        max_sessions_per_day=2,
    )
    envelopes = [
        new_event(
            "campaign_planned",
            planned,
            actor="op",
            region_code=region_code,
            aggregate_id=campaign_id,
            aggregate_version=1,
        )
    ]
    for session_id, desa in sessions.items():
        scheduled = SessionScheduled(
            session_id=session_id,
            campaign_id=campaign_id,
            kind=SessionKind.PENYULUHAN,
            topic="Penumbuhan WKSBM",
            region_code=desa,
            venue="Balai desa",
            starts_at=datetime(2019, 8, 15, 2, tzinfo=UTC),
            ends_at=datetime(2019, 8, 15, 5, tzinfo=UTC),
        )
        envelopes.append(
            new_event(
                "session_scheduled",
                scheduled,
                actor="op",
                region_code=desa,
                aggregate_id=session_id,
                aggregate_version=1,
            )
        )
    return envelopes


@dataclass
class Registry:
    client: httpx.AsyncClient
    tap: Tap
    amqp: aio_pika.abc.AbstractRobustConnection
    namespace: str
    mongo: Mongo  # the registry's own database, for checks the API does not expose
    amqp_url: str

    async def post(self, path: str, body: dict[str, Any], headers: dict[str, str] = GUNUNGKIDUL) -> httpx.Response:
        return await self.client.post(path, json=body, headers=headers)

    async def created(self, path: str, body: dict[str, Any], headers: dict[str, str] = GUNUNGKIDUL) -> dict[str, Any]:
        response = await self.post(path, body, headers)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def events(self, count: int, event_type: str | None = None) -> list[dict[str, Any]]:
        """The next ``count`` events (of ``event_type`` when given) seen on the exchange."""
        seen = await self.tap.collect(lambda s: len([e for e in s if event_type in (None, e["event_type"])]) >= count)
        return [e for e in seen if event_type in (None, e["event_type"])]

    async def finished_import(self, import_id: str, headers: dict[str, str] = GUNUNGKIDUL) -> dict[str, Any]:
        job: dict[str, Any] = {}

        async def done() -> bool:
            nonlocal job
            job = (await self.client.get(f"/imports/{import_id}", headers=headers)).json()
            return job["status"] != "running"

        await eventually(done, timeout=60)
        return job

    async def outreach_planned(self, campaign_id: str, region_code: str, sessions: dict[str, str]) -> None:
        """Publish outreach's campaign_planned and session_scheduled (session id → desa) and wait until the
        registry has taken them into its reference of campaigns and sessions."""
        envelopes = outreach_plan(campaign_id, region_code, sessions)
        channel = await self.amqp.channel()
        exchange = await channel.declare_exchange(
            topology.namespaced(topology.EVENTS_EXCHANGE, self.namespace), aio_pika.ExchangeType.TOPIC, durable=True
        )
        for envelope in envelopes:
            await publish_event(exchange, envelope, amqp_url=self.amqp_url)
        await channel.close()

        async def known() -> bool:
            campaigns = await self.mongo.db.campaigns.count_documents({"_id": campaign_id})
            known_sessions = await self.mongo.db.sessions.count_documents({"_id": {"$in": list(sessions)}})
            return campaigns == 1 and known_sessions == len(sessions)

        await eventually(known, timeout=30, what=f"registry to learn campaign {campaign_id}")


@pytest.fixture
async def registry(
    stack_settings: dict[str, str], amqp: aio_pika.abc.AbstractRobustConnection, namespace: str
) -> AsyncIterator[Registry]:
    settings = RegistrySettings.model_validate({**stack_settings, "relay_poll_seconds": 0.1})
    async with RunningApp(build(settings)) as running, httpx.AsyncClient(base_url=running.url, timeout=30) as client:
        tap = await Tap.open(amqp, namespace)
        mongo = Mongo(settings.mongodb_url, settings.database)
        yield Registry(client, tap, amqp, namespace, mongo, settings.amqp_url)
        await mongo.close()


def board(*, complete: bool = True) -> list[dict[str, str]]:
    seats = [{"role": "ketua", "name": "Sutrisno", "nik": "3403131308850002", "phone": "081227001111"}]
    if complete:
        seats += [{"role": "sekretaris", "name": "Wahyuni"}, {"role": "bendahara", "name": "Sri Lestari"}]
    return seats
