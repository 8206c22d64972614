"""The production broker topology on one machine: a three-node RabbitMQ cluster, the four services given all three
addresses, quorum queues replicated on every node, and the node the services are connected to killed in the middle
of a flow of a thousand events. Nothing is lost and nothing is doubled: every registration is stored and projected
once by reporting and delivered once by notify to a webhook, outreach keeps a copy of each, and no queue keeps or
dead-letters anything.

One and a half to two and a half minutes on two busy cores (the cluster forms in 20-45 s), so it runs on its own:
``./dev test -m cluster``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from contracts import topology
from pilar_dev.testing import RunningApp, bearer, eventually, new_namespace
from pilar_runtime.mongo import Mongo
from services.outreach.store import WORKERS
from tests.cluster.rabbitcluster import RabbitCluster
from tests.e2e.faults_support import SECRET, WORKER_REGION, WebhookReceiver
from tests.e2e.stack import SERVICES, Stack
from tests.e2e.test_faults import register, settled

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(900)]

EVENTS = 1000
KILLED_AFTER = 250  # registrations accepted before the node goes


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RabbitCluster]:
    began = time.monotonic()
    nodes = RabbitCluster(tmp_path_factory.mktemp("rabbit"))
    try:
        nodes.start()
        print(f"\ncluster of three formed in {time.monotonic() - began:.1f} s")
        yield nodes
    finally:
        nodes.stop()


@pytest.fixture(scope="module")
async def stack(cluster: RabbitCluster, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    workdir: Path = tmp_path_factory.mktemp("stack")
    running = Stack(workdir, cluster.url(), new_namespace("cluster"))
    try:
        await running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
async def admin(stack: Stack) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    clients = {
        service: httpx.AsyncClient(base_url=stack.url(service), headers=bearer("admin", ""), timeout=60)
        for service in SERVICES
    }
    yield clients
    for client in clients.values():
        await client.aclose()


@pytest.fixture(scope="module")
async def hook(admin: dict[str, httpx.AsyncClient]) -> AsyncIterator[tuple[WebhookReceiver, str]]:
    receiver = WebhookReceiver()
    async with RunningApp(receiver.app) as running:
        url = f"{running.url}/hook"
        webhook = {"url": url, "event_patterns": ["registry.*"], "region_code": WORKER_REGION, "secret": SECRET}
        created = await admin["notify"].post("/webhooks", json=webhook)
        assert created.status_code == 201, created.text
        yield receiver, url


def service_queues(namespace: str) -> list[str]:
    return [
        name
        for service in SERVICES  # each consumes: its queue and its DLQ
        for name in (topology.service_queue(service, namespace), topology.dead_letter_queue(service, namespace))
    ]


async def test_a_node_killed_mid_flow_loses_nothing_and_doubles_nothing(
    cluster: RabbitCluster,
    stack: Stack,
    admin: dict[str, httpx.AsyncClient],
    hook: tuple[WebhookReceiver, str],
) -> None:
    first, *others = cluster.nodes
    everyone = sorted(node.name for node in cluster.nodes)
    queues = cluster.queues(others[0])
    for name in service_queues(stack.namespace):
        assert queues[name]["type"] == "quorum", name
        assert sorted(queues[name]["members"]) == everyone, name  # a replica on every node
    # Every service took the first address: the node about to go is the one they are all connected to.
    ports = cluster.connection_ports(others[0])
    assert ports.count(first.port) >= len(SERVICES) and set(ports) == {first.port}, ports

    accepted: list[str] = []
    gate = asyncio.Semaphore(8)

    async def one(i: int) -> None:
        async with gate:
            answer = await register(admin["registry"], "cluster", i)
            assert answer.status_code == 201, answer.text  # commands need the database only
            accepted.append(answer.json()["id"])

    began = time.monotonic()
    flow = asyncio.gather(*(one(i) for i in range(EVENTS)))

    async def under_way() -> bool:
        return len(accepted) >= KILLED_AFTER

    await eventually(under_way, 120, what=f"{KILLED_AFTER} registrations")
    await asyncio.to_thread(cluster.kill, first)
    killed_at = len(accepted)
    await flow
    registered = time.monotonic()
    assert killed_at < EVENTS

    try:
        await settled(admin, hook, accepted, timeout=300)  # each in reporting and delivered once; projected once
    except (TimeoutError, AssertionError) as exc:
        raise AssertionError(f"{exc}; the queues: {cluster.queues(others[0])}") from exc
    # Outreach keeps a copy of each, and nothing waits or was dead-lettered anywhere, on the two nodes left.
    outreach = Mongo(stack.mongo.url, f"{stack.namespace}_outreach")
    copied: set[str] = set()

    async def all_copied() -> bool:
        copied.update([d["_id"] async for d in outreach.db[WORKERS].find({}, {"_id": 1})])
        return copied >= set(accepted)

    try:
        await eventually(all_copied, 60, interval=1, what="outreach to keep a copy of every worker")
    finally:
        await outreach.close()
    assert copied == set(accepted)
    left = {node.name for node in others}

    async def drained() -> bool:
        after = await asyncio.to_thread(cluster.queues, others[0])
        return all(after[name]["messages"] == 0 for name in service_queues(stack.namespace))

    await eventually(drained, 60, interval=1, what="every queue and DLQ to be empty")
    after = cluster.queues(others[0])
    for name in service_queues(stack.namespace):
        assert sorted(after[name]["members"]) == everyone, name  # the killed node stays a member, gone for now
        assert after[name]["leader"] in left, name
    assert set(cluster.connection_ports(others[0])) <= {node.port for node in others}
    async with httpx.AsyncClient() as client:
        for service in SERVICES:
            assert (await client.get(f"{stack.url(service)}/readyz")).json()["broker"] is True, service
    assert all(stack.starts[s] == 1 and stack.processes[s].poll() is None for s in SERVICES)  # none restarted
    done = time.monotonic()
    print(
        f"\n{EVENTS} registrations in {registered - began:.1f} s, node killed after {killed_at}; "
        f"all stored, projected and delivered once {done - registered:.1f} s later"
    )
