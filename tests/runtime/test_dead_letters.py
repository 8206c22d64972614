"""A service's own dead letters over HTTP against the real broker and database: listed without being lost, redriven
through the service's consumer (provenance, inbox, handler) and acked from the DLQ only once handled."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import aio_pika
import httpx
import pytest
from aio_pika.abc import AbstractRobustConnection

from contracts import topology
from contracts.envelope import Envelope
from contracts.events.registry import InstitutionFormed
from pilar_dev.testing import TEST_JWKS, RunningApp, bearer, eventually, publish_event
from pilar_runtime.brokerusers import broker_user
from pilar_runtime.consumer import ROUTING_KEY_HEADER, USER_HEADER, EventHandlers
from pilar_runtime.events import new_event
from pilar_runtime.mongo import Mongo, UnitOfWork
from pilar_runtime.service import create_app
from pilar_runtime.settings import ServiceSettings

ADMIN = bearer("admin")
POISON = "WKSBM Rusak"  # a name the handler never copes with


def wksbm_formed(name: str = "WKSBM Tepus") -> Envelope:
    institution = f"ins_{uuid.uuid4().hex[:8]}"
    return new_event(
        "WKSBM_formed",
        InstitutionFormed(
            institution_id=institution,
            kind="WKSBM",
            name=name,
            region_code="34.03.13",
            formed_on=date(2026, 3, 2),
            board=[],
        ),
        actor="registry",
        region_code="34.03.13",
        aggregate_id=institution,
        aggregate_version=1,
    )


@dataclass
class Notify:
    client: httpx.AsyncClient
    mongo: Mongo
    broken: list[bool] = field(default_factory=lambda: [True])

    async def effects(self, event: Envelope) -> int:
        return await self.mongo.db.effects.count_documents({"event_id": str(event.event_id)})

    async def letters(self, headers: dict[str, str] = ADMIN) -> dict[str, Any]:
        answer = await self.client.get("/admin/dead-letters", headers=headers)
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    async def redrive(self, message_ids: list[str] | None = None) -> dict[str, int]:
        body = {"message_ids": message_ids} if message_ids is not None else {}
        answer = await self.client.post("/admin/dead-letters/redrive", json=body, headers=ADMIN)
        assert answer.status_code == 200, answer.text
        counts: dict[str, int] = answer.json()
        return counts


@pytest.fixture
async def notify(amqp_url: str, mongodb_url: str, namespace: str) -> AsyncIterator[Notify]:
    """notify's queue with a handler that fails while ``broken`` holds, and always for the poison name."""
    settings = ServiceSettings(
        service="notify",
        amqp_url=amqp_url,
        mongodb_url=mongodb_url,
        namespace=namespace,
        database=f"{namespace}_notify",
        jwks=TEST_JWKS,
        delivery_limit=2,
    )
    handlers = EventHandlers()
    broken = [True]

    @handlers.on("WKSBM_formed")
    async def record(envelope: Envelope, payload: Any, uow: UnitOfWork) -> None:
        if broken[0] or payload.name == POISON:
            raise RuntimeError("the mail server does not answer")
        await uow.db.effects.insert_one({"event_id": str(envelope.event_id)}, session=uow.session)

    app = create_app(settings, title="t", description="t", handlers=handlers)
    mongo = Mongo(mongodb_url, settings.database)
    async with RunningApp(app) as running, httpx.AsyncClient(base_url=running.url, timeout=30) as client:
        yield Notify(client, mongo, broken)
    await mongo.close()


async def test_dead_letters_are_listed_kept_and_redriven_once_handled(
    notify: Notify, amqp: AbstractRobustConnection, amqp_url: str, namespace: str
) -> None:
    channel = await amqp.channel(publisher_confirms=True)
    events = await channel.get_exchange(topology.namespaced(topology.EVENTS_EXCHANGE, namespace))
    fixed, poison = wksbm_formed(), wksbm_formed(POISON)
    for event in (fixed, poison):
        await publish_event(events, event, amqp_url=amqp_url)

    async def both_dead() -> bool:
        return (await notify.letters())["waiting"] == 2

    await eventually(both_dead, what="two dead letters")
    # A forged letter: put in the DLQ straight through the dead-letter exchange by no broker user, claiming
    # the headers of the consumer's own copies (the original routing key and producer's user).
    forged = wksbm_formed()
    dlx = await channel.get_exchange(topology.namespaced(topology.DEAD_LETTER_EXCHANGE, namespace))
    claims: dict[str, Any] = {ROUTING_KEY_HEADER: forged.routing_key, USER_HEADER: broker_user(amqp_url)}
    await dlx.publish(
        aio_pika.Message(forged.to_json(), message_id=str(forged.event_id), type=forged.event_type, headers=claims),
        routing_key=topology.namespaced("notify", namespace),
    )

    first, again = await notify.letters(), await notify.letters()  # listing takes nothing away
    assert first["waiting"] == again["waiting"] == 3
    by_id = {line["message_id"]: line for line in again["items"]}
    assert set(by_id) == {str(fixed.event_id), str(poison.event_id), str(forged.event_id)}
    line = by_id[str(fixed.event_id)]
    assert line["event_type"] == "WKSBM_formed" and line["routing_key"] == "registry.WKSBM_formed"
    assert line["event_id"] == str(fixed.event_id) and line["producer"] == "registry"
    assert "the mail server does not answer" in line["reason"] and line["dead_lettered_at"]
    assert line["delivery_count"] >= 1  # the first listing handed it out and took it back
    assert "WKSBM Tepus" not in str(again)  # ids and type, never the payload

    notify.broken[0] = False
    counts = await notify.redrive([str(fixed.event_id), str(poison.event_id), str(forged.event_id), "nope"])
    assert counts == {"handled": 1, "failed": 2, "not_found": 1}
    assert await notify.effects(fixed) == 1
    assert await notify.effects(forged) == 0  # refused by the provenance check, never handled

    left = {line["message_id"]: line for line in (await notify.letters())["items"]}
    assert set(left) == {str(poison.event_id), str(forged.event_id)}
    assert "handler failed" in left[str(poison.event_id)]["reason"]
    # Its claims are not the consumer's own copy's, so none is believed: it names the DLQ's routing key.
    assert left[str(forged.event_id)]["reason"].startswith("forged: routing key")
    assert await notify.redrive() == {"handled": 0, "failed": 2, "not_found": 0}
    assert await notify.effects(fixed) == 1 and await notify.effects(poison) == 0


async def test_only_an_admin_reads_or_redrives_dead_letters(notify: Notify) -> None:
    operator = bearer("district_operator", "34.03")
    assert (await notify.client.get("/admin/dead-letters", headers=operator)).status_code == 403
    refused = await notify.client.post("/admin/dead-letters/redrive", json={}, headers=operator)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert (await notify.client.get("/admin/dead-letters?limit=0", headers=ADMIN)).status_code == 422


async def test_a_service_that_consumes_nothing_has_no_dead_letters(
    amqp_url: str, mongodb_url: str, namespace: str
) -> None:
    settings = ServiceSettings(
        service="registry", amqp_url=amqp_url, mongodb_url=mongodb_url, namespace=namespace, jwks=TEST_JWKS
    )
    app = create_app(settings, title="t", description="t")
    async with RunningApp(app) as running, httpx.AsyncClient(base_url=running.url) as client:
        answer = await client.post("/admin/dead-letters/redrive", json={"message_ids": ["a"]}, headers=ADMIN)
        assert answer.status_code == 404 and answer.json()["detail"] == (
            "this service consumes no events, so it has no dead letters"
        )
