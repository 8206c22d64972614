"""End-to-end benchmark: API command → reporting's projection, against a raw aio-pika + pymongo pipeline doing the
same writes, measured in the same run on the same broker and the same Mongo-wire server.

- Pilar: `POST /workers` on registry (transaction: worker + outbox) → relay publishes `worker_registered` →
  reporting's consumer (transaction: inbox, event store, projection, roll-ups) → the `workers` projection has it.
  The four services run as separate processes (tests/e2e/stack.py), so outreach and notify consume it too.
- Raw: insert the worker document with pymongo → publish a persistent message with aio-pika (publisher confirms)
  to a durable quorum queue → a bare aio-pika consumer replaces the projection document with pymongo, then acks.

Both sides are observed the same way: a poller reads the projection collection directly every few milliseconds
and notes when each document appears. Figures:
- throughput: N commands sent by C concurrent clients, N / (last projection seen − first command sent);
- latency at a fixed offered load (open loop, R commands/s for S seconds): p50/p99 of request start → projection.

    python -m bench.e2e [--commands 2000] [--concurrency 32] [--rate 50] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aio_pika
import httpx
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from pilar_runtime.regions import children
from pilar_runtime.testing import DEFAULT_AMQP_URL, bearer, delete_namespace, new_namespace
from tests.e2e.stack import Stack

Send = Callable[[int], Awaitable[str]]
KECAMATAN = [k.code for k in children("34.03")]
POLL_SECONDS = 0.005


def worker_body(i: int) -> dict[str, Any]:
    return {"role": "PSM", "name": f"Pekerja Sosial {i}", "region_code": KECAMATAN[i % len(KECAMATAN)]}


class Arrivals:
    """Watches a projection collection and notes the moment each awaited id appears."""

    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self.collection = collection
        self.pending: set[str] = set()
        self.seen: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None

    def expect(self, key: str) -> None:
        if key not in self.seen:
            self.pending.add(key)

    async def _poll(self) -> None:
        while True:
            if self.pending:
                batch = list(self.pending)[:2000]
                found = [d["_id"] async for d in self.collection.find({"_id": {"$in": batch}}, {"_id": 1})]
                now = time.perf_counter()
                for key in found:
                    self.pending.discard(key)
                    self.seen[key] = now
            await asyncio.sleep(POLL_SECONDS)

    def start(self) -> None:
        self._task = asyncio.create_task(self._poll())

    async def wait(self, keys: list[str], timeout: float) -> None:
        deadline = time.perf_counter() + timeout
        while any(k not in self.seen for k in keys):
            if time.perf_counter() > deadline:
                missing = sum(k not in self.seen for k in keys)
                raise TimeoutError(f"{missing} of {len(keys)} never reached the projection")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


async def throughput(send: Send, arrivals: Arrivals, commands: int, concurrency: int, offset: int) -> float:
    """events/s: every command sent by ``concurrency`` clients as fast as they are answered, until all projected."""
    keys: list[str] = []
    counter = iter(range(offset, offset + commands))

    async def client() -> None:
        for i in counter:
            key = await send(i)
            arrivals.expect(key)
            keys.append(key)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    await arrivals.wait(keys, timeout=600)
    return commands / (max(arrivals.seen[k] for k in keys) - started)


async def latency(send: Send, arrivals: Arrivals, rate: float, seconds: float, offset: int) -> list[float]:
    """Seconds from request start to projection for each command of an open-loop load of ``rate`` per second."""
    starts: dict[str, float] = {}
    total = int(rate * seconds)
    began = time.perf_counter()

    async def one(i: int) -> None:
        await asyncio.sleep(max(0.0, began + i / rate - time.perf_counter()))
        start = time.perf_counter()
        key = await send(offset + i)
        arrivals.expect(key)
        starts[key] = start

    await asyncio.gather(*(one(i) for i in range(total)))
    await arrivals.wait(list(starts), timeout=600)
    return [arrivals.seen[k] - s for k, s in starts.items()]


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


class Pilar:
    def __init__(self, stack: Stack, concurrency: int) -> None:
        self.stack = stack
        self.http = httpx.AsyncClient(
            base_url=stack.url("registry"),
            headers=bearer("admin", "", sub="bench"),
            timeout=60,
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        )
        self.mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongo.url)
        database = f"{stack.namespace}_reporting".replace(".", "_")
        self.arrivals = Arrivals(self.mongo[database]["workers"])

    async def send(self, i: int) -> str:
        response = await self.http.post("/workers", json=worker_body(i))
        if response.status_code != 201:
            raise RuntimeError(f"POST /workers → {response.status_code}: {response.text[:300]}")
        return str(response.json()["id"])

    async def close(self) -> None:
        await self.arrivals.stop()
        await self.http.aclose()
        await self.mongo.close()


class Raw:
    """The baseline: the same writes with nothing but pymongo and aio-pika."""

    def __init__(self, mongo_url: str, amqp_url: str, namespace: str, prefetch: int) -> None:
        self.mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
        self.db = self.mongo[f"{namespace}_raw"]
        self.amqp_url = amqp_url
        self.queue_name = f"{namespace}.raw"
        self.prefetch = prefetch
        self.arrivals = Arrivals(self.db["projection"])

    async def start(self) -> None:
        self.publisher = await aio_pika.connect_robust(self.amqp_url)
        self.consumer = await aio_pika.connect_robust(self.amqp_url)
        channel = await self.publisher.channel(publisher_confirms=True)
        self.exchange = await channel.declare_exchange(
            f"{self.queue_name}.x", aio_pika.ExchangeType.TOPIC, durable=True
        )
        consuming = await self.consumer.channel()
        await consuming.set_qos(prefetch_count=self.prefetch)
        queue = await consuming.declare_queue(self.queue_name, durable=True, arguments={"x-queue-type": "quorum"})
        await queue.bind(f"{self.queue_name}.x", routing_key="#")
        projection = self.db["projection"]

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            event = json.loads(message.body)
            await projection.replace_one({"_id": event["worker_id"]}, event, upsert=True)
            await message.ack()

        await queue.consume(on_message)

    async def send(self, i: int) -> str:
        worker = {"_id": f"wrk_{uuid.uuid4().hex[:20]}", **worker_body(i), "active": True, "version": 1}
        await self.db["workers"].insert_one(worker)
        event = {"event_type": "worker_registered", "worker_id": worker["_id"], **worker_body(i)}
        await self.exchange.publish(
            aio_pika.Message(json.dumps(event).encode(), delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key="registry.worker_registered",
        )
        return str(worker["_id"])

    async def close(self) -> None:
        await self.arrivals.stop()
        channel = await self.publisher.channel()
        await channel.queue_delete(self.queue_name)
        await channel.exchange_delete(f"{self.queue_name}.x")
        await self.publisher.close()
        await self.consumer.close()
        await self.mongo.drop_database(self.db.name)
        await self.mongo.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commands", type=int, default=2000, help="commands per throughput run")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent clients in the throughput run")
    parser.add_argument("--rate", type=float, default=50, help="offered load of the latency run, commands/s")
    parser.add_argument("--seconds", type=float, default=20, help="duration of the latency run")
    parser.add_argument("--prefetch", type=int, default=32, help="raw consumer's prefetch (the services' default)")
    parser.add_argument(
        "--env", action="append", default=[], help="KEY=VALUE for the services, e.g. REPORTING_PREFETCH=8"
    )
    args = parser.parse_args()
    amqp_url = DEFAULT_AMQP_URL
    namespace = new_namespace("benche2e")
    with tempfile.TemporaryDirectory(prefix="pilar-bench-e2e-") as workdir:
        # The relay is woken by each commit: its poll interval (the Stack's 0.2 s) only backs that up.
        stack = Stack(Path(workdir), amqp_url, namespace, extra_env=dict(e.split("=", 1) for e in args.env))
        try:
            await stack.start()
            pilar = Pilar(stack, args.concurrency)
            raw = Raw(stack.mongo.url, amqp_url, namespace, args.prefetch)
            await raw.start()
            pilar.arrivals.start()
            raw.arrivals.start()
            # Warm both paths (connections, first inserts) before timing anything.
            await throughput(pilar.send, pilar.arrivals, 50, 8, offset=10_000_000)
            await throughput(raw.send, raw.arrivals, 50, 8, offset=10_000_000)
            raw_rate = await throughput(raw.send, raw.arrivals, args.commands, args.concurrency, offset=0)
            pilar_rate = await throughput(pilar.send, pilar.arrivals, args.commands, args.concurrency, offset=0)
            raw_lat = await latency(raw.send, raw.arrivals, args.rate, args.seconds, offset=1_000_000)
            pilar_lat = await latency(pilar.send, pilar.arrivals, args.rate, args.seconds, offset=1_000_000)
            await pilar.close()
            await raw.close()
        finally:
            stack.stop()
            await delete_namespace(amqp_url, namespace)

    def ms(values: list[float], q: int) -> str:
        return f"{percentile(values, q) * 1000:8.1f} ms"

    print(f"machine: {platform.machine()}, {platform.processor() or platform.system()}, {_cores()} cores")
    print(f"throughput: {args.commands} commands by {args.concurrency} concurrent clients, until all projected")
    print(f"  raw aio-pika + pymongo : {raw_rate:8.0f} events/s")
    print(f"  pilar API → reporting  : {pilar_rate:8.0f} events/s")
    print(f"  ratio pilar/raw        : {pilar_rate / raw_rate:8.2f}   (target >= 0.7)")
    print(f"latency at {args.rate:.0f} commands/s for {args.seconds:.0f} s (request start → projection):")
    print(f"  raw   p50 {ms(raw_lat, 50)}  p99 {ms(raw_lat, 99)}  ({len(raw_lat)} commands)")
    print(f"  pilar p50 {ms(pilar_lat, 50)}  p99 {ms(pilar_lat, 99)}  ({len(pilar_lat)} commands)")


def _cores() -> int:
    return os.cpu_count() or 0


if __name__ == "__main__":
    asyncio.run(main())
