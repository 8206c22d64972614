"""Scale-out benchmark: reporting's sustained throughput with two replicas against one, measured in the same run.

Each round publishes the same realistic mix of N events (bench/reporting_replay.py's generator: sessions
scheduled/held/cancelled, institutions registered and formed, follow-ups, notifications, workers, regulations, a
few unknown types) with their shard headers while reporting is stopped, so the queues hold the whole run; then
starts R replicas (separate processes, the service's default settings but ``--partitions``) and times the drain:
from their start until every event is stored and projected (the national roll-up has counted them all). Each round
has a database and a broker namespace of its own. A third round shows the machine's ceiling: two single-replica
stacks sharing nothing (half the events each) drained at once.

    python -m bench.reporting_replicas [--events 20000] [--partitions 4]

Uses MONGODB_URL when set, otherwise starts a local Mongo-wire server (SecantusDB) for the run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aio_pika
import httpx
from pymongo import AsyncMongoClient

from bench.reporting_replay import Events
from contracts import topology
from contracts.envelope import Envelope
from pilar_dev.devstack import LocalMongo, free_port
from pilar_dev.testing import DEFAULT_AMQP_URL, TEST_JWKS, TEST_LINK_SECRET, delete_namespace, new_namespace
from pilar_runtime.brokerusers import broker_user
from pilar_runtime.partitions import LEASES
from services.reporting import store

ENVELOPE_FIELDS = tuple(Envelope.model_fields)


Published = tuple[str, str, bytes]  # routing key, shard header, body


def envelopes(count: int, seed: int = 7) -> list[Published]:
    """``count`` events as their producers' outbox relays publish them."""
    events = Events(random.Random(seed))
    found: list[Published] = []
    cycle = 0
    while len(found) < count:
        for document in events.cycle(cycle):
            fields = {k: document[k] for k in ENVELOPE_FIELDS if k in document}
            envelope = Envelope.model_validate(fields)
            shard = str(topology.shard_of(envelope.aggregate_id))
            found.append((document["routing_key"], shard, envelope.model_dump_json().encode()))
        cycle += 1
    return found[:count]


def cpu_seconds(pid: int | None) -> float:
    """User and system CPU a process has used so far (0 for a server of MONGODB_URL, not ours to read)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Replicas:
    """R processes of reporting on one database and one namespace."""

    def __init__(self, workdir: Path, mongo_url: str, amqp_url: str, namespace: str, partitions: int) -> None:
        self.workdir = workdir
        self.env = {
            **os.environ,
            "AMQP_URL": amqp_url,
            "MONGODB_URL": mongo_url,
            "PILAR_NAMESPACE": namespace,
            "PILAR_JWKS": TEST_JWKS,
            "PILAR_LINK_SECRET": TEST_LINK_SECRET,
            "PILAR_LOG_FORMAT": "json",
            "PILAR_LOG_LEVEL": os.environ.get("PILAR_LOG_LEVEL", "warning"),
            "REPORTING_PARTITIONS": str(partitions),
            # Partitions change hands at the leases' pace (a beat every third of it): a quick hand-over when the
            # second replica joins, so the round measures two replicas working, not one waiting.
            "REPORTING_LEASE_SECONDS": "3",
        }
        self.processes: list[tuple[subprocess.Popen[bytes], int]] = []
        self.spawned = 0

    async def start(self, count: int) -> None:
        for _ in range(count):
            self._spawn()
        await asyncio.gather(*(self._ready(p, port) for p, port in self.processes[-count:]))

    def _spawn(self) -> None:
        port = free_port()
        self.spawned += 1
        out = (self.workdir / f"{self.env['PILAR_NAMESPACE']}-reporting-{self.spawned}.log").open("ab")
        env = {**self.env, "REPORTING_PORT": str(port)}
        process = subprocess.Popen([sys.executable, "-m", "services.reporting"], env=env, stdout=out, stderr=out)
        self.processes.append((process, port))

    async def _ready(self, process: subprocess.Popen[bytes], port: int) -> None:
        async with httpx.AsyncClient(timeout=2) as client:
            for _ in range(600):
                if process.poll() is not None:
                    raise RuntimeError(f"reporting exited with {process.returncode}: see {self.workdir}")
                try:
                    if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        raise TimeoutError("reporting not ready")

    def cpu_seconds(self) -> float:
        return sum(cpu_seconds(process.pid) for process, _ in self.processes)

    def stop(self) -> None:
        for process, _ in self.processes:
            process.terminate()
        for process, _ in self.processes:
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()


async def publish(amqp_url: str, namespace: str, events: list[Published]) -> None:
    user = broker_user(amqp_url)
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(topology.namespaced(topology.EVENTS_EXCHANGE, namespace))
        for start in range(0, len(events), 500):
            await asyncio.gather(
                *(
                    exchange.publish(
                        aio_pika.Message(
                            body,
                            user_id=user,
                            headers={topology.SHARD_HEADER: shard},
                            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        ),
                        routing_key=key,
                    )
                    for key, shard, body in events[start : start + 500]
                )
            )


async def holders(mongo_url: str, database: str) -> int:
    """Replicas holding partitions."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    try:
        leases = await client[database][LEASES].find({"lease_until": {"$ne": None}}).to_list(None)
        return len({lease["holder"] for lease in leases})
    finally:
        await client.close()


async def counted(mongo_url: str, database: str) -> int:
    """Events the national roll-up has counted (every known event moves it once), read the service's way."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    try:
        counts = await store.counts_of(client[database], "")
        return int(counts.get("events|total", 0))
    finally:
        await client.close()


class Round:
    """One round's database and broker namespace: the events wait in reporting's queues, then replicas drain them."""

    def __init__(self, mongo: tuple[str, int | None], amqp_url: str, partitions: int, workdir: Path) -> None:
        self.mongo_url, self.mongo_pid = mongo
        self.amqp_url = amqp_url
        self.namespace = new_namespace("bench")
        self.database = f"{self.namespace}_reporting"
        self.group = Replicas(workdir, self.mongo_url, amqp_url, self.namespace, partitions)
        self.partitioned = partitions > 1
        self.expected = 0

    async def fill(self, events: list[Published]) -> None:
        await self.group.start(1)  # declares the queues, then stops: the events wait for the round
        self.group.stop()
        await publish(self.amqp_url, self.namespace, events)
        self.expected = len(events)  # unknown types are stored and counted too

    async def drain(self, replicas: int) -> tuple[float, float]:
        """Events per second stored and projected by ``replicas`` processes once each holds its share of the
        partitions (sustained: the first seconds, while they share the partitions out, are left out), and their CPU
        seconds."""
        await self.group.start(replicas)
        while self.partitioned and await holders(self.mongo_url, self.database) < replicas:
            await asyncio.sleep(0.05)
        started, done = time.perf_counter(), await counted(self.mongo_url, self.database)
        while await counted(self.mongo_url, self.database) < self.expected:
            await asyncio.sleep(0.1)
        return (self.expected - done) / (time.perf_counter() - started), self.group.cpu_seconds()

    async def close(self) -> None:
        self.group.stop()
        await delete_namespace(self.amqp_url, self.namespace)
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(self.mongo_url)
        await client.drop_database(self.database)
        await client.close()


async def measured(
    rounds: list[tuple[Round, int]], events: list[list[Published]], mongo_pid: int | None
) -> tuple[float, float, float]:
    """Fill each round with its events, then drain them all at once; their events per second together, the
    replicas' CPU seconds and the database server's over the drains."""
    for (round_, _), share in zip(rounds, events, strict=True):
        await round_.fill(share)
    before = cpu_seconds(mongo_pid)
    try:
        drains = await asyncio.gather(*(round_.drain(replicas) for round_, replicas in rounds))
    finally:
        for round_, _ in rounds:
            await round_.close()
    return sum(rate for rate, _ in drains), sum(cpu for _, cpu in drains), cpu_seconds(mongo_pid) - before


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--partitions", type=int, default=4, help="REPORTING_PARTITIONS of every round")
    args = parser.parse_args()
    amqp_url = os.environ.get("AMQP_URL", DEFAULT_AMQP_URL)
    events = envelopes(args.events)
    half = len(events) // 2
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; {len(events)} events")
    # Each round on a database server of its own: SecantusDB's cost per write grows with the writes it has taken,
    # so a round after another would pay for the first one's.
    lines = {
        "1 replica": [(1, events)],
        "2 replicas": [(2, events)],
        # The machine's own ceiling for two replicas: two stacks sharing nothing but the server process and the
        # cores (a database and namespace each, half the events each), drained at once.
        "2 apart": [(1, events[:half]), (1, events[half:])],
    }
    rates: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as workdir:
        for name, shares in lines.items():
            with database() as mongo:
                rounds = [(Round(mongo, amqp_url, args.partitions, Path(workdir)), n) for n, _ in shares]
                rates[name], cpu, database_cpu = await measured(rounds, [share for _, share in shares], mongo[1])
            print(
                f"{name:>10}: {rates[name]:,.0f} events/s sustained (CPU: reporting {cpu:.1f} s, "
                f"database server {database_cpu:.1f} s)"
            )
    print(f"scale-out: 2 replicas = {rates['2 replicas'] / rates['1 replica']:.2f}x one replica (target >= 1.6)")
    print(f"ceiling: 2 replicas sharing nothing = {rates['2 apart'] / rates['1 replica']:.2f}x one replica")


@contextmanager
def database() -> Iterator[tuple[str, int | None]]:
    """MONGODB_URL, or a SecantusDB of the run's own (whose CPU is read)."""
    if os.environ.get("MONGODB_URL"):
        yield os.environ["MONGODB_URL"], None
        return
    server = LocalMongo(":memory:", log_file=None).start()
    try:
        assert server.process is not None
        yield server.url, server.process.pid
    finally:
        server.stop()


if __name__ == "__main__":
    asyncio.run(main())
