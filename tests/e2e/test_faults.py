"""Fault injection across the four service processes (issue 7 §3).

Every test ends with the same proof: each event the flow produced is in reporting's feed exactly once and
projected once (the summary's worker count), and notify made exactly one delivery per (event, recipient,
channel) — here a webhook subscribed to the registry's events, received by a real HTTP endpoint.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import httpx
import pytest

from contracts.events.registry import WorkerRegistered
from pilar.dlq import list_dead_letters
from pilar_dev.testing import RunningApp, Tap, eventually
from pilar_runtime.events import new_event
from tests.e2e.faults_support import (
    SECRET,
    WORKER_REGION,
    Replica,
    WebhookReceiver,
    assert_each_once,
    deliveries,
    feed,
    publish_raw,
    restart_broker,
    wait_ready,
)
from tests.e2e.stack import SERVICES, Stack


@pytest.fixture(scope="module")
async def hook(admin: dict[str, httpx.AsyncClient]) -> AsyncIterator[tuple[WebhookReceiver, str]]:
    """A webhook receiving every registry event of the worker region.

    Yields the receiver and its URL, which is the recipient of notify's webhook deliveries."""
    receiver = WebhookReceiver()
    async with RunningApp(receiver.app) as running:
        created = await admin["notify"].post(
            "/webhooks",
            json={
                "url": f"{running.url}/hook",
                "event_patterns": ["registry.*"],
                "region_code": WORKER_REGION,
                "secret": SECRET,
            },
        )
        assert created.status_code == 201, created.text
        yield receiver, f"{running.url}/hook"


async def register(registry: httpx.AsyncClient, tag: str, i: int) -> httpx.Response:
    worker = {"role": "PSM", "name": f"Pekerja {tag} {i}", "region_code": WORKER_REGION}
    return await registry.post("/workers", json=worker, headers={"X-Correlation-ID": f"fault-{tag}-{i}"})


async def register_many(registry: httpx.AsyncClient, tag: str, n: int, concurrency: int = 4) -> list[str]:
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> str:
        async with gate:
            answer = await register(registry, tag, i)
            assert answer.status_code == 201, answer.text
            return str(answer.json()["id"])

    return list(await asyncio.gather(*(one(i) for i in range(n))))


async def psm_count(reporting: httpx.AsyncClient) -> int:
    answer = await reporting.get("/summary", params={"region": WORKER_REGION})
    assert answer.status_code == 200, answer.text
    return int(answer.json().get("workers", {}).get("PSM", 0))


async def settled(
    admin: dict[str, httpx.AsyncClient], hook: tuple[WebhookReceiver, str], worker_ids: list[str], timeout: float = 90
) -> dict[str, str]:
    """Wait until every worker's registration is in reporting's feed, delivered by notify and received by the
    webhook; then check nothing is doubled anywhere. Returns worker id → event id."""
    receiver, webhook_url = hook
    wanted = set(worker_ids)
    events: dict[str, str] = {}

    async def stored() -> bool:
        items = await feed(admin["reporting"], "worker_registered")
        events.update({i["aggregate_id"]: i["event_id"] for i in items if i["aggregate_id"] in wanted})
        return len(events) == len(wanted)

    await eventually(stored, timeout, what="reporting to store every registration")
    event_ids = set(events.values())

    async def delivered() -> bool:
        sent = await deliveries(admin["notify"], recipient=webhook_url, status="sent")
        return event_ids <= {d["event_id"] for d in sent} and event_ids <= receiver.event_ids()

    await eventually(delivered, timeout, what="notify to deliver every registration to the webhook")
    everything = await feed(admin["reporting"])
    all_deliveries = await deliveries(admin["notify"])
    assert_each_once(everything, all_deliveries)
    ours = [d for d in all_deliveries if d["event_id"] in event_ids]
    assert len(ours) == len(event_ids)  # exactly one (webhook) delivery per registration, none failed
    registered = [i for i in everything if i["event_type"] == "worker_registered"]
    assert await psm_count(admin["reporting"]) == len(registered)  # projected once each
    return events


async def test_the_same_event_published_twice_has_one_effect(
    stack: Stack, admin: dict[str, httpx.AsyncClient], hook: tuple[WebhookReceiver, str]
) -> None:
    worker_id = f"wrk_dup{uuid.uuid4().hex[:10]}"
    event = new_event(
        "worker_registered",
        WorkerRegistered(worker_id=worker_id, role="PSM", name="Pekerja Kembar", region_code=WORKER_REGION),
        actor="fault-test",
        region_code=WORKER_REGION,
        aggregate_id=worker_id,
        aggregate_version=1,
    )
    await publish_raw(stack.amqp_url, stack.namespace, "registry.worker_registered", event.to_json(), times=2)
    await settled(admin, hook, [worker_id])

    def skipped(service: str) -> bool:
        return any(
            r.get("event_id") == str(event.event_id)
            and r.get("event") in ("consumer.duplicate_skipped", "event.duplicate_ignored")
            for r in stack.records(service)
        )

    async def both_copies_seen() -> bool:
        return skipped("reporting") and skipped("notify")

    await eventually(both_copies_seen, 30, what="the second copy to reach reporting and notify")
    await settled(admin, hook, [worker_id])  # still once, after the copy was handled


async def test_poison_and_unknown_type_are_dead_lettered_with_a_reason_and_the_flow_goes_on(
    stack: Stack, admin: dict[str, httpx.AsyncClient], hook: tuple[WebhookReceiver, str]
) -> None:
    await publish_raw(stack.amqp_url, stack.namespace, "registry.worker_registered", b"\x00 this is not json {")
    unknown_id = str(uuid.uuid4())
    unknown = json.loads(
        new_event(
            "worker_registered",
            WorkerRegistered(worker_id="wrk_x", role="PSM", name="x", region_code=WORKER_REGION),
            actor="fault-test",
            region_code=WORKER_REGION,
            aggregate_id="wrk_x",
            aggregate_version=1,
        ).to_json()
    )
    unknown.update(event_id=unknown_id, event_type="worker_promoted", payload={"worker_id": "wrk_x", "grade": 2})
    await publish_raw(stack.amqp_url, stack.namespace, "registry.worker_promoted", json.dumps(unknown).encode())
    # The flow goes on: a good registration after both is handled everywhere.
    [after] = await register_many(admin["registry"], "after-poison", 1)
    await settled(admin, hook, [after])

    async def letters(service: str) -> list[Any]:
        return await list_dead_letters(stack.amqp_url, service, stack.namespace)

    # Every consumer of registry.* dead-letters the poison with its reason.
    for service in ("outreach", "notify", "reporting"):
        found = await letters(service)
        poison = [d for d in found if d.body.startswith(b"\x00 this")]
        assert len(poison) == 1, (service, [d.reason for d in found])
        assert poison[0].reason.startswith("not JSON"), poison[0].reason
        assert poison[0].headers["x-pilar-reason"] == poison[0].reason
    # The unknown type: outreach has no use for it (DLQ with the reason); reporting stores and counts it
    # (its README: never dropped); notify passes every other event to matching webhooks.
    [outreach_unknown] = [d for d in await letters("outreach") if unknown_id.encode() in d.body]
    assert outreach_unknown.reason == "unknown event type 'worker_promoted'"
    assert not [d for d in await letters("reporting") if unknown_id.encode() in d.body]
    assert not [d for d in await letters("notify") if unknown_id.encode() in d.body]
    # A type outside the catalogue is no filter (422), but the event is stored and read with the rest.
    stored = [i for i in await feed(admin["reporting"]) if i["event_id"] == unknown_id]
    assert len(stored) == 1
    summary = (await admin["reporting"].get("/summary", params={"region": WORKER_REGION})).json()
    assert summary["events"]["unknown"].get("worker_promoted") == 1, summary["events"]
    receiver, _ = hook

    async def forwarded() -> bool:
        return unknown_id in receiver.event_ids()

    await eventually(forwarded, 30, what="notify to forward the unknown event to the webhook")
    assert_each_once(await feed(admin["reporting"]), await deliveries(admin["notify"]))


async def test_rabbitmq_restarted_mid_flow_services_reconnect_and_relays_catch_up(
    stack: Stack, admin: dict[str, httpx.AsyncClient], hook: tuple[WebhookReceiver, str]
) -> None:
    accepted: list[str] = []
    stop = asyncio.Event()

    async def keep_registering() -> None:
        i = 0
        while not stop.is_set():
            answer = await register(admin["registry"], "broker", i)
            assert answer.status_code == 201, answer.text  # commands need the database only, never the broker
            accepted.append(answer.json()["id"])
            i += 1
            await asyncio.sleep(0.05)

    flow = asyncio.create_task(keep_registering())
    await eventually(lambda: _at_least(accepted, 5), 30, what="the flow to start")
    before = len(accepted)
    await restart_broker()
    during = len(accepted) - before
    target = len(accepted) + 5
    await eventually(lambda: _at_least(accepted, target), 30, what="the flow to go on")
    stop.set()
    await flow
    assert during > 0, "no command was committed while the broker was away"
    await wait_ready(stack, SERVICES)  # readyz back to ready by themselves: nothing was restarted but the broker
    async with httpx.AsyncClient() as client:
        for service in SERVICES:
            assert (await client.get(f"{stack.url(service)}/readyz")).json()["broker"] is True, service
    await settled(admin, hook, accepted)
    assert all(stack.processes[s].poll() is None for s in SERVICES)
    assert all(stack.starts[s] == 1 for s in ("registry", "outreach"))


async def test_services_killed_while_handling_start_again_and_finish_the_work(
    stack: Stack, admin: dict[str, httpx.AsyncClient], hook: tuple[WebhookReceiver, str]
) -> None:
    handled_before = await _handled(stack.url("reporting"))

    async def reporting_busy() -> bool:
        return await _handled(stack.url("reporting")) >= handled_before + 5

    burst = asyncio.create_task(register_many(admin["registry"], "sigkill", 60))
    await eventually(reporting_busy, 60, what="reporting to be handling the burst")
    # Killed mid-burst: reporting and notify hold unacked messages and open transactions right now.
    stack.kill("reporting")
    stack.kill("notify")
    worker_ids = await burst  # commands never depend on the consumers
    await stack.start("reporting", "notify")
    assert stack.starts["reporting"] == stack.starts["notify"] == 2
    await settled(admin, hook, worker_ids, timeout=150)


async def _at_least(items: list[str], n: int) -> bool:
    return len(items) >= n


async def test_mongo_restarted_mid_flow_commands_fail_clearly_and_nothing_is_lost(
    stack: Stack, admin: dict[str, httpx.AsyncClient], hook: tuple[WebhookReceiver, str]
) -> None:
    accepted: list[str] = []
    refused: list[int] = []
    stop = asyncio.Event()

    async def keep_registering() -> None:
        i = 0
        while not stop.is_set():
            answer = await register(admin["registry"], "mongo", i)
            i += 1
            if answer.status_code == 201:
                accepted.append(answer.json()["id"])
            else:
                assert answer.status_code == 503, answer.text  # a clear "try again", never a 500
                refused.append(answer.status_code)
            await asyncio.sleep(0.05)

    flow = asyncio.create_task(keep_registering())
    await eventually(lambda: _at_least(accepted, 5), 30, what="the flow to start")
    await stack.restart_mongo()
    after_restart = len(accepted)
    await eventually(lambda: _at_least(accepted, after_restart + 5), 60, what="commands to succeed again")
    stop.set()
    await flow
    await wait_ready(stack, SERVICES)
    await settled(admin, hook, accepted)


async def test_two_replicas_of_notify_compete_for_events_and_lease_the_relay(
    stack: Stack,
    admin: dict[str, httpx.AsyncClient],
    hook: tuple[WebhookReceiver, str],
    amqp: aio_pika.abc.AbstractRobustConnection,
) -> None:
    replica = Replica(stack, "notify")
    await replica.start()
    tap = await Tap.open(amqp, stack.namespace, "notify.notification_sent")
    try:
        handled_before = await _handled(stack.url("notify"))
        worker_ids = await register_many(admin["registry"], "replicas", 40, concurrency=8)
        events = await settled(admin, hook, worker_ids)
        first = await _handled(stack.url("notify")) - handled_before
        second = await _handled(replica.url)
        assert first > 0 and second > 0, (first, second)  # both replicas took a share of the queue
        assert first + second == len(worker_ids)  # and each event was handled by one of them only
        receiver, _ = hook
        ours = [pair for pair in receiver.received if pair[0] in set(events.values())]
        assert len(ours) == len(events) == len({delivery for _, delivery in ours})  # each sent once, by one replica
        # Each notification_sent sits in notify's shared outbox; the leased relay publishes it once, not once per
        # replica: what the exchange carried (not reporting's de-duplicated feed) is counted.
        wanted = set(events.values())
        seen = await tap.collect(lambda s: wanted <= {e["payload"]["source_event_id"] for e in s}, timeout=60)
        while (message := await tap.queue.get(fail=False)) is not None:
            await message.ack()
            seen.append(json.loads(message.body))
        sources = [e["payload"]["source_event_id"] for e in seen if e["payload"]["source_event_id"] in wanted]
        assert sorted(sources) == sorted(wanted)
    finally:
        await tap.channel.close()
        replica.stop()


async def _handled(url: str) -> float:
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"{url}/metrics")).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("pilar_messages_handled_total{") and 'event_type="worker_registered"' in line
    )
