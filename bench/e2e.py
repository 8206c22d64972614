"""End-to-end benchmark: API command → reporting's projection, against two raw aio-pika + pymongo pipelines doing
the same domain writes — one message at a time, and in batches as a careful hand-written consumer would — measured
in the same run on the same broker, each side on a Mongo-wire server of its own started alike (SecantusDB's cost per
write grows with the writes it has taken: on a shared server each side would pay for the ones run before it).

What one registered worker writes (region: a kecamatan, so its roll-up chain is "", provinsi, kabupaten, kecamatan):
- Pilar (`POST /workers`, four services as separate processes, tests/e2e/stack.py, with their default settings):
  - registry, one transaction per command: the worker document + an outbox document, written leased to the
    relay of the same process and handed to it at commit; the relay publishes it (confirms) and marks it sent,
    a batch of outbox documents at a time;
  - each consumer handles the deliveries waiting as one batch (settings' `batch_size`) in one transaction with
    their inbox records (one look-up and one insert per batch);
    - outreach, per batch: one `$in` read of the versions its worker copies hold, one `bulk_write` of the copies;
    - notify, per batch: the same for its contacts, and one look-up of subscribed webhooks;
    - reporting, per event: the event store document numbered from the sequence counter, read + replace of the `workers`
      projection, `$inc` upserts of the four roll-ups, the district activity upsert, a look-up of the month-end
      timer (moved only when due later) — its writes made in bulk once per batch.
- Raw (pymongo + aio-pika, no transactions, outbox, inbox or envelope validation), both sides alike up to the
  consumers' writes:
  - "registry": insert the worker document (same fields), publish the event (persistent, publisher confirms)
    to a topic exchange; one durable quorum queue per consuming service (prefetch 32), consumed by aio-pika;
  - per message: each delivery's writes alone, up to the prefetch at once, then its ack —
    - outreach: upsert of its worker copy;
    - notify: upsert of the contact, look-up of subscribed webhooks;
    - reporting: read of the `workers` projection, sequence counter `$inc`, event store document, the roll-up
      `bulk_write`, district activity upsert, timer look-up, then the projection replace — last, so that its
      appearance means reporting is done, as Pilar's commit does;
  - batched: the deliveries waiting (at most the prefetch; `--linger-ms` to wait for more when idle) written
    together, then one `basic.ack` with `multiple` —
    - outreach: one `bulk_write` of the worker copies' upserts;
    - notify: one `bulk_write` of the contacts' upserts, one look-up of subscribed webhooks;
    - reporting: one `$in` read of the batch's `workers` documents folded in memory, one sequence `$inc` by the
      batch's size, one `insert_many` of the events, one roll-up `bulk_write` summed per region, one district
      activity `bulk_write`, a timer look-up per month, then one `bulk_write` of the projection replaces.
  Same document shapes (roll-ups from services/reporting/domain/projection.py) and the same domain indexes; at
  the end both raw sides must hold the same events, projections and roll-ups, or the run fails.

Every side is observed the same way: a change stream on the projection collection, opened before anything is
sent, notes when each document first appears; counting the outreach and notify copies tells when the whole
pipeline has handled a run, and the next run starts only then. Figures:
- throughput: N commands sent by C concurrent clients, N / (last projection seen − first command sent);
- latency at a fixed offered load (open loop, R commands/s for S seconds): p50/p99 of request start → projection;
- database operations per command in the throughput run (every consumer done), from the server's `top` over each
  side's databases;
- CPU time per command in the throughput run, by process (database server, bench, each service), from /proc, and
  the ratio it sets where the cores are the limit.

    python -m bench.e2e [--commands 2000] [--concurrency 32] [--rate 50] [--seconds 20] [--linger-ms 0]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import platform
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aio_pika
import httpx
from aio_pika.abc import AbstractIncomingMessage
from pymongo import AsyncMongoClient, ReplaceOne, ReturnDocument, UpdateOne
from pymongo.asynchronous.change_stream import AsyncChangeStream
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from pilar_dev.devstack import LocalMongo
from pilar_dev.testing import DEFAULT_AMQP_URL, bearer, delete_namespace, new_namespace
from pilar_runtime.localtime import local_date, month_end
from pilar_runtime.regions import ancestors, children
from services.reporting.domain.facts import Fact
from services.reporting.domain.projection import WORKERS, apply, event_contributions, level, rollup_delta, scopes
from tests.e2e.stack import SERVICES, Stack

Send = Callable[[int], Awaitable[str]]
Db = AsyncDatabase[dict[str, Any]]
Event = dict[str, Any]
KECAMATAN = [k.code for k in children("34.03")]
ACTOR = "bench"
# An idle getMore waits this long on the server; a write wakes it at once (measured: ~2.5 ms insert → seen).
STREAM_AWAIT_MS = 500


def worker_body(i: int) -> dict[str, Any]:
    return {"role": "PSM", "name": f"Pekerja Sosial {i}", "region_code": KECAMATAN[i % len(KECAMATAN)]}


class Arrivals:
    """Notes the moment each document first appears in a projection collection, from a change stream on it.

    The server answers one long-polling getMore at a time, woken by the writes themselves, so observing costs
    both sides the same and next to nothing (polling with a growing `$in` took a third of the server's CPU)."""

    PIPELINE = (
        {"$match": {"operationType": {"$in": ["insert", "replace", "update"]}}},
        {"$project": {"documentKey": 1}},
    )

    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self.collection = collection
        self.seen: dict[str, float] = {}
        self.awaited: set[str] = set()
        self._arrived = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def expect(self, key: str) -> None:
        """Wake ``wait`` when ``key`` appears. A document that appeared before this call (the projection may beat
        the command's response) keeps the time it was first seen."""
        self.awaited.add(key)

    async def start(self) -> None:
        stream = await self.collection.watch(list(self.PIPELINE), max_await_time_ms=STREAM_AWAIT_MS)
        # One getMore answered before anything is sent: the stream surely covers every later write.
        self._note(await stream.try_next())
        self._task = asyncio.create_task(self._follow(stream))

    async def _follow(self, stream: AsyncChangeStream[dict[str, Any]]) -> None:
        async with stream:
            async for change in stream:
                self._note(change)

    def _note(self, change: Mapping[str, Any] | None) -> None:
        if change is None:
            return
        key = str(change["documentKey"]["_id"])
        if key not in self.seen:
            self.seen[key] = time.perf_counter()
            if key in self.awaited:
                self._arrived.set()

    async def wait(self, keys: list[str], timeout: float) -> None:
        deadline = time.perf_counter() + timeout
        pending = set(keys)
        self.awaited.update(pending)
        while True:
            self._arrived.clear()
            pending = {k for k in pending if k not in self.seen}
            if not pending:
                return
            if self._task is not None and self._task.done():
                self._task.result()  # a broken stream raises here instead of timing out
                raise RuntimeError("the change stream ended")
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(f"{len(pending)} of {len(keys)} never reached the projection")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), timeout=min(remaining, 1.0))

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


# ---- what the database server did: `top` counts operations and their time per collection ----------------------

OP_KINDS = ("insert", "update", "queries", "commands", "remove")


async def server_top(client: AsyncMongoClient[dict[str, Any]]) -> dict[str, Any]:
    return dict((await client.admin.command("top"))["totals"])


def side_ops(before: dict[str, Any], after: dict[str, Any], databases: Mapping[str, str]) -> Counter[str]:
    """Operations between two `top` snapshots on ``databases`` (name → service): by kind, and by service under
    "@service". getMores are left out: the services' reads fit in a first batch, the getMores are the change
    stream's. Pilar's count includes what its pollers (relays, timers, deliveries) did meanwhile: part of its cost.
    (`top` also times each operation, but under concurrency that includes waiting for others: not shown.)"""
    out: Counter[str] = Counter()
    for namespace, stats in after.items():
        service = databases.get(namespace.split(".", 1)[0])
        if service is None or not isinstance(stats, dict):
            continue
        old = before.get(namespace, {})
        for kind in OP_KINDS:
            n = stats[kind]["count"] - old.get(kind, {}).get("count", 0)
            out[kind] += n
            out[f"@{service}"] += n
    return out


def ops_lines(ops: Counter[str], commands: int) -> str:
    kinds = ", ".join(f"{kind} {ops[kind] / commands:.1f}" for kind in OP_KINDS if ops[kind])
    services = ", ".join(f"{service} {ops['@' + service] / commands:.1f}" for service in SERVICES)
    total = sum(ops[kind] for kind in OP_KINDS) / commands
    return f"{total:5.1f} operations/command ({kinds})\n{'':26}by service: {services}"


# ---- where the CPU goes: the processes' CPU time, from /proc (Linux; nothing elsewhere) ------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pids: Mapping[str, int]) -> dict[str, float]:
    """User + system CPU seconds each process has used so far (the broker is not ours to watch: not counted)."""
    out: dict[str, float] = {}
    for name, pid in pids.items():
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            out[name] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return out


def cpu_line(cpu: Mapping[str, float], commands: int) -> str:
    per = ", ".join(f"{name} {seconds * 1000 / commands:.1f}" for name, seconds in cpu.items() if seconds)
    return f"{sum(cpu.values()) * 1000 / commands:5.1f} ms CPU/command ({per})"


# ---- the load ---------------------------------------------------------------------------------------------------


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


# ---- the two pipelines -------------------------------------------------------------------------------------------


class Side:
    """What both pipelines share: the reporting projection timed by ``arrivals``, and the other consumers' copies,
    counted after each run so that the next starts only when every consumer has handled every command sent — a
    backlog left by one run would otherwise load the server during the next (reporting may finish well before
    outreach and notify). Counted rather than watched: every open change stream is woken by every write, both
    sides', and six of them slowed the server measurably."""

    arrivals: Arrivals
    copies: list[AsyncCollection[dict[str, Any]]]
    server: LocalMongo  # the side's own database server
    mongo: AsyncMongoClient[dict[str, Any]]
    databases: dict[str, str]  # database → service, for counting operations

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, i: int) -> str:
        raise NotImplementedError

    async def watch(self) -> None:
        await self.arrivals.start()

    async def drained(self, timeout: float = 600) -> None:
        await self.arrivals.wait(self.sent, timeout=timeout)
        deadline = time.perf_counter() + timeout
        for copies in self.copies:
            # Only the benchmark's workers are in these collections: a count tells when all have arrived.
            while await copies.estimated_document_count() < len(self.sent):
                if time.perf_counter() > deadline:
                    raise TimeoutError(f"{copies.full_name} is missing some of {len(self.sent)} workers")
                await asyncio.sleep(0.2)

    async def unwatch(self) -> None:
        await self.arrivals.stop()

    async def close(self) -> None:
        raise NotImplementedError


class Pilar(Side):
    def __init__(self, stack: Stack, concurrency: int) -> None:
        super().__init__()
        self.stack = stack
        self.server = stack.mongo
        self.http = httpx.AsyncClient(
            base_url=stack.url("registry"),
            headers=bearer("admin", "", sub=ACTOR),
            timeout=60,
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        )
        self.mongo = AsyncMongoClient(stack.mongo.url)
        self.databases = {f"{stack.namespace}_{service}".replace(".", "_"): service for service in SERVICES}
        db = {service: self.mongo[name] for name, service in self.databases.items()}
        self.arrivals = Arrivals(db["reporting"][WORKERS])
        self.copies = [db["outreach"]["workers"], db["notify"]["contacts"]]

    async def send(self, i: int) -> str:
        response = await self.http.post("/workers", json=worker_body(i))
        if response.status_code != 201:
            raise RuntimeError(f"POST /workers → {response.status_code}: {response.text[:300]}")
        self.sent.append(str(response.json()["id"]))
        return self.sent[-1]

    async def close(self) -> None:
        await self.unwatch()
        await self.http.aclose()
        await self.mongo.close()


# ---- Raw: the same domain writes by hand ------------------------------------------------------------------------

ROUTING_KEY = "registry.worker_registered"
# Reporting's default grace before a month's reports (its settings), and its timer's kind.
MONTHLY_GRACE = timedelta(seconds=900)
MONTHLY_TIMER = "monthly_district"


def worker_document(i: int) -> dict[str, Any]:
    """Registry's worker document (services/registry/domain/workers.new_worker) for a command without contacts."""
    now = datetime.now(UTC)
    contacts = {"nik": None, "phone": None, "email": None}
    return {
        "_id": f"wrk_{uuid.uuid4().hex[:20]}",
        **worker_body(i),
        **contacts,
        "active": True,
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "created_by": ACTOR,
    }


def registered_event(worker: dict[str, Any]) -> Event:
    """The envelope's fields as a plain dict: reporting stores them."""
    payload = {k: worker[k] for k in ("role", "name", "region_code", "phone", "email", "active")}
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": "worker_registered",
        "schema_version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "producer": "registry",
        "correlation_id": str(uuid.uuid4()),
        "causation_id": None,
        "actor": ACTOR,
        "region_code": worker["region_code"],
        "aggregate_id": worker["_id"],
        "aggregate_version": worker["version"],
        "payload": {"worker_id": worker["_id"], **payload},
    }


# What each consumer writes for an event, shared by both raw sides: filters and updates, documents, moves.

Filter = dict[str, Any]
Update = dict[str, Any]
# Notify forwards each event to the subscribed webhooks (none here: the look-up alone).
SUBSCRIBED_WEBHOOKS: tuple[Filter, dict[str, int]] = ({"active": True}, {"secret": 0})


def worker_copy(event: Event) -> tuple[Filter, Update]:
    """Outreach keeps who exists, their role, region and status (no contacts): an upsert."""
    p = event["payload"]
    copy = {k: p[k] for k in ("role", "name", "region_code", "active")}
    return {"_id": p["worker_id"]}, {"$set": {**copy, "version": event["aggregate_version"]}}


def contact(event: Event) -> tuple[Filter, Update]:
    """Notify keeps the contact: an upsert."""
    p = event["payload"]
    kept = {k: p[k] for k in ("name", "role", "region_code", "email", "phone", "active")}
    return {"_id": p["worker_id"]}, {"$set": {**kept, "version": event["aggregate_version"]}}


def stored_event(event: Event) -> dict[str, Any]:
    """services/reporting/store.event_document, from the plain dict (numbered when it is inserted)."""
    return {
        "event_id": event["event_id"],
        "event_type": event["event_type"],
        "routing_key": f"{event['producer']}.{event['event_type']}",
        "producer": event["producer"],
        "schema_version": event["schema_version"],
        "occurred_at": datetime.fromisoformat(event["occurred_at"]),
        "received_at": datetime.now(UTC),
        "correlation_id": event["correlation_id"],
        "causation_id": event["causation_id"],
        "actor": event["actor"],
        "region_code": event["region_code"],
        "regions": ancestors(event["region_code"]),
        "aggregate_id": event["aggregate_id"],
        "aggregate_version": event["aggregate_version"],
        "payload": event["payload"],
    }


def add_moves(
    moves: dict[str, Counter[str]], old: dict[str, Any] | None, new: dict[str, Any] | None, fact: Fact
) -> None:
    """The aggregate's move and the event's own counts, per region (reporting's commands/events.project)."""
    if new is not None:
        for region, delta in rollup_delta(WORKERS, old, new).items():
            moves.setdefault(region, Counter()).update(delta)
    for region in scopes(fact.region_code):
        moves.setdefault(region, Counter()).update(event_contributions(fact))


def rollup_upserts(moves: Mapping[str, Counter[str]]) -> list[UpdateOne]:
    """One `$inc` upsert per region whose counters move, in region order (concurrent writers lock them alike)."""
    return [
        UpdateOne(
            {"_id": region},
            {"$inc": {f"counts.{k}": v for k, v in delta.items()}, "$setOnInsert": {"level": level(region)}},
            upsert=True,
        )
        for region, delta in sorted(moves.items())
        if delta
    ]


def district_month(fact: Fact) -> tuple[str, str, datetime]:
    """A district active in a month gets a monthly report: the district, the month and when its report falls due."""
    district = ".".join(fact.region_code.split(".")[:2])
    first = local_date(fact.occurred_at).replace(day=1)
    return district, first.isoformat()[:7], max(month_end(first), datetime.now(UTC)) + MONTHLY_GRACE


def activity(district: str, month: str) -> tuple[Filter, Update]:
    return {"_id": f"{district}|{month}"}, {"$setOnInsert": {"district": district, "month": month}}


async def move_timer(db: Db, month: str, due: datetime) -> None:
    """The month-end timer, moved only when it is pending and due earlier (a look-up, rarely a write)."""
    timer = await db["timers"].find_one({"kind": MONTHLY_TIMER, "key": month})
    if timer is None or (timer["status"] == "pending" and timer["due_at"] < due):
        await db["timers"].update_one(
            {"kind": MONTHLY_TIMER, "key": month},
            {
                "$set": {"due_at": due, "data": {"month": month}, "status": "pending", "lease_until": None},
                "$setOnInsert": {"created_at": datetime.now(UTC)},
            },
            upsert=True,
        )


# Per message: each event's writes alone, as they come.


async def outreach_writes(db: Db, event: Event) -> None:
    await db["workers"].update_one(*worker_copy(event), upsert=True)


async def notify_writes(db: Db, event: Event) -> None:
    await db["contacts"].update_one(*contact(event), upsert=True)
    await db["webhooks"].find(*SUBSCRIBED_WEBHOOKS).to_list(None)


async def reporting_writes(db: Db, event: Event) -> None:
    """Store the event, move the roll-ups, note the district's month; the projection document goes last."""
    stored = stored_event(event)
    fact = Fact.from_stored(stored)
    key = str(fact.payload["worker_id"])
    old = await db[WORKERS].find_one({"_id": key})
    new = apply(WORKERS, key, old, fact)
    counter = await db["counters"].find_one_and_update(
        {"_id": "events"}, {"$inc": {"seq": 1}}, upsert=True, return_document=ReturnDocument.AFTER
    )
    assert counter is not None  # an upsert returning the document after it always finds one
    await db["events"].insert_one({"_id": counter["seq"], **stored})
    moves: dict[str, Counter[str]] = {}
    add_moves(moves, old, new, fact)
    await db["rollups"].bulk_write(rollup_upserts(moves), ordered=True)
    district, month, due = district_month(fact)
    await db["district_activity"].update_one(*activity(district, month), upsert=True)
    await move_timer(db, month, due)
    if new is not None:
        await db[WORKERS].replace_one({"_id": key}, new, upsert=True)


# Batched: the same writes for the deliveries waiting, one write per collection.


async def outreach_batch(db: Db, events: list[Event]) -> None:
    await db["workers"].bulk_write([UpdateOne(*worker_copy(e), upsert=True) for e in events], ordered=False)


async def notify_batch(db: Db, events: list[Event]) -> None:
    await db["contacts"].bulk_write([UpdateOne(*contact(e), upsert=True) for e in events], ordered=False)
    # The subscribed webhooks are the same for every event of the batch: looked up once.
    await db["webhooks"].find(*SUBSCRIBED_WEBHOOKS).to_list(None)


async def reporting_batch(db: Db, events: list[Event]) -> None:
    """The batch's aggregates read at once and folded in memory, the sequence moved once by the batch's size, the
    roll-ups summed per region; the projection documents go last, as per message."""
    stored = [stored_event(e) for e in events]
    facts = [Fact.from_stored(s) for s in stored]
    keys = [str(fact.payload["worker_id"]) for fact in facts]
    states: dict[str, dict[str, Any] | None] = {
        doc["_id"]: doc for doc in await db[WORKERS].find({"_id": {"$in": keys}}).to_list(None)
    }
    changed: dict[str, dict[str, Any]] = {}
    moves: dict[str, Counter[str]] = {}
    months: dict[str, datetime] = {}
    districts: set[tuple[str, str]] = set()
    for key, fact in zip(keys, facts, strict=True):
        old = states.get(key)
        new = apply(WORKERS, key, old, fact)
        add_moves(moves, old, new, fact)
        if new is not None:
            states[key] = changed[key] = new
        district, month, due = district_month(fact)
        districts.add((district, month))
        months[month] = max(due, months.get(month, due))
    counter = await db["counters"].find_one_and_update(
        {"_id": "events"}, {"$inc": {"seq": len(stored)}}, upsert=True, return_document=ReturnDocument.AFTER
    )
    assert counter is not None  # an upsert returning the document after it always finds one
    for number, document in enumerate(stored, start=counter["seq"] - len(stored) + 1):
        document["_id"] = number
    await db["events"].insert_many(stored)
    await db["rollups"].bulk_write(rollup_upserts(moves), ordered=True)
    await db["district_activity"].bulk_write(
        [UpdateOne(*activity(*pair), upsert=True) for pair in sorted(districts)], ordered=False
    )
    for month, due in sorted(months.items()):
        await move_timer(db, month, due)
    if changed:
        await db[WORKERS].bulk_write(
            [ReplaceOne({"_id": key}, new, upsert=True) for key, new in changed.items()], ordered=False
        )


PER_MESSAGE: dict[str, Callable[[Db, Event], Awaitable[None]]] = {
    "outreach": outreach_writes,
    "notify": notify_writes,
    "reporting": reporting_writes,
}
BATCHED: dict[str, Callable[[Db, list[Event]], Awaitable[None]]] = {
    "outreach": outreach_batch,
    "notify": notify_batch,
    "reporting": reporting_batch,
}
# Each consuming service: its binding (as in contracts/topology.SUBSCRIPTIONS).
BINDINGS = {"outreach": "registry.*", "notify": "registry.*", "reporting": "#"}
OnMessage = Callable[[AbstractIncomingMessage], Awaitable[None]]


class Raw(Side):
    """A baseline: the same domain writes with nothing but pymongo and aio-pika — registry's insert and publish,
    one durable quorum queue per consuming service — and no transactions, outbox, inbox or envelope validation.
    The two raw sides differ only in how their consumers write (``consumer``); each has its own exchange and
    queues, and its own database server."""

    name: str  # of the side, in its exchange, queues and databases

    def __init__(self, server: LocalMongo, amqp_url: str, namespace: str, prefetch: int) -> None:
        super().__init__()
        self.server = server
        self.mongo = AsyncMongoClient(server.url, tz_aware=True)
        self.amqp_url = amqp_url
        self.namespace = namespace
        self.prefix = f"{namespace}.{self.name}"  # of the exchange and the queues
        self.prefetch = prefetch
        self.databases = {f"{namespace}_{self.name}_{service}": service for service in SERVICES}
        self.registry = self.db("registry")
        self.arrivals = Arrivals(self.db("reporting")[WORKERS])
        self.copies = [self.db("outreach")["workers"], self.db("notify")["contacts"]]

    def db(self, service: str) -> Db:
        return self.mongo[f"{self.namespace}_{self.name}_{service}"]

    def consumer(self, service: str) -> OnMessage:
        raise NotImplementedError

    async def start(self) -> None:
        await self._prepare_store()
        self.publisher = await aio_pika.connect_robust(self.amqp_url)
        self.consuming = await aio_pika.connect_robust(self.amqp_url)
        channel = await self.publisher.channel(publisher_confirms=True)
        self.exchange = await channel.declare_exchange(
            f"{self.prefix}.events", aio_pika.ExchangeType.TOPIC, durable=True
        )
        for service, pattern in BINDINGS.items():
            consuming = await self.consuming.channel()
            await consuming.set_qos(prefetch_count=self.prefetch)
            queue = await consuming.declare_queue(
                f"{self.prefix}.{service}", durable=True, arguments={"x-queue-type": "quorum"}
            )
            await queue.bind(self.exchange.name, routing_key=pattern)
            await queue.consume(self.consumer(service))

    async def _prepare_store(self) -> None:
        """The domain indexes the services keep on these collections (not the inbox, outbox or poller ones), and
        the sequence counter: SecantusDB answers None to some of several concurrent first upserts of it."""
        await self.registry["workers"].create_index([("region_code", 1), ("role", 1)])
        await self.registry["workers"].create_index("_nik_key", unique=True, sparse=True)
        reporting = self.db("reporting")
        await reporting["events"].create_index("event_id", unique=True)
        await reporting["events"].create_index([("regions", 1), ("_id", 1)])
        await reporting["events"].create_index([("event_type", 1), ("_id", 1)])
        await reporting[WORKERS].create_index("regions")
        await reporting["rollups"].create_index([("level", 1), ("_id", 1)])
        await reporting["timers"].create_index([("kind", 1), ("key", 1)], unique=True)
        await self.db("notify")["webhooks"].create_index("region_code")
        await reporting["counters"].update_one({"_id": "events"}, {"$setOnInsert": {"seq": 0}}, upsert=True)

    async def send(self, i: int) -> str:
        worker = worker_document(i)
        await self.registry["workers"].insert_one(worker)
        event = registered_event(worker)
        message = aio_pika.Message(
            json.dumps(event).encode(),
            content_type="application/json",
            message_id=event["event_id"],
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        await self.exchange.publish(message, routing_key=ROUTING_KEY)
        self.sent.append(worker["_id"])
        return self.sent[-1]

    async def outcome(self) -> dict[str, Any]:
        """What the consumers left, to check that both raw sides did the same work: every event stored and numbered
        once, every worker projected, the same roll-ups (months aside: a run may straddle one's end)."""
        reporting = self.db("reporting")
        counter = await reporting["counters"].find_one({"_id": "events"})
        rollups = await reporting["rollups"].find().to_list(None)
        return {
            "sent": len(self.sent),
            "events": await reporting["events"].count_documents({}),
            "numbered": (counter or {}).get("seq"),
            "projected": await reporting[WORKERS].count_documents({}),
            "rollups": {
                doc["_id"]: {k: v for k, v in doc["counts"].items() if not k.startswith("events|month|")}
                for doc in rollups
            },
        }

    async def close(self) -> None:
        await self.unwatch()
        await self.consuming.close()  # before the queues go: the broker would cancel the consumers noisily
        channel = await self.publisher.channel()
        for service in BINDINGS:
            await channel.queue_delete(f"{self.prefix}.{service}")
        await channel.exchange_delete(f"{self.prefix}.events")
        await self.publisher.close()
        await self.mongo.close()


class RawPerMessage(Raw):
    """Each delivery's writes alone, then its ack: aio-pika runs up to ``prefetch`` of them at once."""

    name = "raw"

    def consumer(self, service: str) -> OnMessage:
        write, db = PER_MESSAGE[service], self.db(service)

        async def on_message(message: AbstractIncomingMessage) -> None:
            try:
                await write(db, json.loads(message.body))
            except Exception:
                await message.nack(requeue=True)  # again, rather than stuck unacknowledged (aio-pika logs the error)
                raise
            await message.ack()

        return on_message


class RawBatched(Raw):
    """Each consumer takes the deliveries waiting, up to ``batch`` (after waiting ``linger`` for more when a
    delivery finds it idle), makes their writes in bulk (``*_batch``) and acks them with one `basic.ack`
    (multiple); a failed batch is nacked the same way, to be delivered again."""

    name = "rawbatched"

    def __init__(self, server: LocalMongo, amqp_url: str, namespace: str, prefetch: int, linger: float) -> None:
        super().__init__(server, amqp_url, namespace, prefetch)
        self.batch = prefetch
        self.linger = linger

    def consumer(self, service: str) -> OnMessage:
        write, db = BATCHED[service], self.db(service)
        waiting: list[AbstractIncomingMessage] = []
        writer: asyncio.Task[None] | None = None

        async def write_waiting() -> None:
            nonlocal writer
            try:
                await asyncio.sleep(self.linger)
                while waiting:
                    batch = waiting[: self.batch]
                    del waiting[: self.batch]
                    # Deliveries join `waiting` in the order of their delivery tags and batches are written one
                    # after another, so acking the last covers exactly this batch and the ones before it.
                    try:
                        await write(db, [json.loads(message.body) for message in batch])
                    except Exception:
                        logging.exception("raw batched %s: %d deliveries to be redelivered", service, len(batch))
                        await batch[-1].nack(multiple=True, requeue=True)
                    else:
                        await batch[-1].ack(multiple=True)
            finally:
                writer = None

        async def on_message(message: AbstractIncomingMessage) -> None:
            nonlocal writer
            waiting.append(message)
            if writer is None:
                writer = asyncio.create_task(write_waiting())

        return on_message


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commands", type=int, default=2000, help="commands per throughput run")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent clients in the throughput run")
    parser.add_argument("--rate", type=float, default=50, help="offered load of the latency run, commands/s")
    parser.add_argument("--seconds", type=float, default=20, help="duration of the latency run")
    parser.add_argument(
        "--prefetch", type=int, default=32, help="raw consumers' prefetch and batch size (the services' default)"
    )
    parser.add_argument(
        "--linger-ms", type=float, default=0, help="how long an idle raw batched consumer waits for more deliveries"
    )
    parser.add_argument(
        "--env", action="append", default=[], help="KEY=VALUE for the services, e.g. REPORTING_PREFETCH=8"
    )
    args = parser.parse_args()
    amqp_url = DEFAULT_AMQP_URL
    namespace = new_namespace("benche2e")
    with tempfile.TemporaryDirectory(prefix="pilar-bench-e2e-") as workdir:
        # The relay is woken by each commit: its poll interval (the Stack's 0.2 s) only backs that up.
        stack = Stack(Path(workdir), amqp_url, namespace, extra_env=dict(e.split("=", 1) for e in args.env))
        # Each side has a database server of its own, started as the stack's is: SecantusDB's cost per write grows
        # with the writes it has taken, so on one server each side would pay for the sides run before it.
        servers = [
            LocalMongo(Path(workdir) / name, log_file=Path(workdir) / f"{name}.log") for name in ("raw", "batched")
        ]
        try:
            await stack.start()
            for server in servers:
                server.start()
            raw = RawPerMessage(servers[0], amqp_url, namespace, args.prefetch)
            batched = RawBatched(servers[1], amqp_url, namespace, args.prefetch, args.linger_ms / 1000)
            sides: dict[str, Side] = {"raw": raw, "batched": batched, "pilar": Pilar(stack, args.concurrency)}
            await raw.start()
            await batched.start()
            # Every stream is open before the first command: nothing can appear unseen.
            for side in sides.values():
                await side.watch()
            # Warm every path (connections, first inserts, the month's timer) before timing anything.
            for side in sides.values():
                await throughput(side.send, side.arrivals, 50, 8, offset=10_000_000)
                await side.drained()
            # Each run ends when its whole pipeline is idle, so no run shares the server with the last one's backlog.
            services = {service: process.pid for service, process in stack.processes.items()}
            rates: dict[str, float] = {}
            ops: dict[str, Counter[str]] = {}
            cpu: dict[str, dict[str, float]] = {}
            for name, side in sides.items():
                assert side.server.process is not None  # started
                pids = {"database": side.server.process.pid, "bench": os.getpid(), **services}
                before, cpu_before = await server_top(side.mongo), cpu_seconds(pids)
                rates[name] = await throughput(side.send, side.arrivals, args.commands, args.concurrency, offset=0)
                await side.drained()
                ops[name] = side_ops(before, await server_top(side.mongo), side.databases)
                cpu[name] = {p: t - cpu_before.get(p, 0) for p, t in cpu_seconds(pids).items()}
            latencies: dict[str, list[float]] = {}
            for name, side in sides.items():
                latencies[name] = await latency(side.send, side.arrivals, args.rate, args.seconds, offset=1_000_000)
                await side.drained()
            per_message, in_bulk = await raw.outcome(), await batched.outcome()
            if per_message != in_bulk or len({per_message[k] for k in ("sent", "events", "numbered", "projected")}) > 1:
                raise RuntimeError(f"the raw sides disagree: {per_message} against {in_bulk}")
            for side in reversed(sides.values()):
                await side.close()
        finally:
            stack.stop()
            for server in servers:
                server.stop()
            await delete_namespace(amqp_url, namespace)

    labels = {"raw": "raw, per message", "batched": "raw, batched", "pilar": "pilar API → reporting"}

    def ms(values: list[float], q: int) -> str:
        return f"{percentile(values, q) * 1000:8.1f} ms"

    print(f"machine: {platform.machine()}, {platform.processor() or platform.system()}, {_cores()} cores")
    print(f"throughput: {args.commands} commands by {args.concurrency} concurrent clients, until all projected")
    for name, rate in rates.items():
        print(f"  {labels[name]:<22}: {rate:8.0f} events/s")
    print(f"  pilar/raw per message : {rates['pilar'] / rates['raw']:8.2f}")
    print(f"  pilar/raw batched     : {rates['pilar'] / rates['batched']:8.2f}   (target >= 0.7)")
    print(f"latency at {args.rate:.0f} commands/s for {args.seconds:.0f} s (request start → projection):")
    for name, values in latencies.items():
        print(f"  {labels[name]:<22}: p50 {ms(values, 50)}  p99 {ms(values, 99)}  ({len(values)} commands)")
    print("database work in the throughput run (server `top`; transaction commits are not counted there):")
    for name, counted in ops.items():
        print(f"  {labels[name]:<22}: {ops_lines(counted, args.commands)}")
    print("CPU time in the throughput run, by process (the raw sides' consumers run in the bench process):")
    for name, used in cpu.items():
        print(f"  {labels[name]:<22}: {cpu_line(used, args.commands)}")
    # Where the cores are the limit, each side's throughput goes as the inverse of its CPU per command.
    batched_cpu, pilar_cpu = sum(cpu["batched"].values()), sum(cpu["pilar"].values())
    print(f"  pilar/raw batched by CPU per command: {batched_cpu / pilar_cpu:.2f}")


def _cores() -> int:
    return os.cpu_count() or 0


if __name__ == "__main__":
    asyncio.run(main())
