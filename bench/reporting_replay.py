"""Replay benchmark: rebuild reporting's projections from N stored events vs a raw pymongo scan of the same
collection, measured in the same run.

    python -m bench.reporting_replay [--events 1000000] [--batch 5000] [--fold-events 150000]

A store of more than ``--fold-events`` events is folded in parts, its events read once per part (the service's
default, ``FOLD_EVENTS``, bounds the replay's memory); the peak resident memory of this process during the replay
is printed with the rates.

Uses MONGODB_URL when set, otherwise starts a local Mongo-wire server (SecantusDB) in a temporary directory.
The events are a realistic mix (sessions scheduled/held/cancelled, institutions registered/formed, follow-ups,
notifications, workers, regulations, campaigns, a few unknown types) over real Kemendagri desa codes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import AsyncMongoClient

from bench.support import rss_mb
from contracts.catalogue import EVENT_TYPES
from pilar_dev.devstack import LocalMongo
from pilar_runtime.mongo import Mongo
from pilar_runtime.regions import ancestors, children
from services.reporting.commands.replays import FOLD_EVENTS, replay
from services.reporting.store import COUNTERS, EVENTS, ROLLUPS, view

CATEGORIES = ("tokoh masyarakat", "tokoh agama", "perangkat desa", "kader")


def desa_codes(limit: int = 3000) -> list[str]:
    found: list[str] = []
    for district in ("34.03", "35.11", "19.05", "34.02"):
        for kecamatan in children(district):
            found += [d.code for d in children(kecamatan.code)]
    return found[:limit]


class Events:
    """Pre-built event-store documents, as reporting writes them."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.seq = 0
        self.clock = datetime(2024, 1, 1, tzinfo=UTC)
        self.desa = desa_codes()

    def doc(
        self, event_type: str, region: str, aggregate: str, version: int, payload: dict[str, Any]
    ) -> dict[str, Any]:
        self.seq += 1
        self.clock += timedelta(seconds=30)
        producer = EVENT_TYPES[event_type].producer if event_type in EVENT_TYPES else "registry"
        return {
            "_id": self.seq,
            "event_id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            "event_type": event_type,
            "routing_key": f"{producer}.{event_type}",
            "producer": producer,
            "schema_version": 1,
            "occurred_at": self.clock,
            "received_at": self.clock,
            "correlation_id": aggregate,
            "causation_id": None,
            "actor": "bench",
            "region_code": region,
            "regions": ancestors(region),
            "aggregate_id": aggregate,
            "aggregate_version": version,
            "payload": payload,
        }

    def cycle(self, n: int) -> Iterator[dict[str, Any]]:
        """One round of activity in a desa: about five events."""
        desa = self.rng.choice(self.desa)
        day = self.clock.date().isoformat()
        session = f"ses_{n}"
        base = {"session_id": session, "kind": "penyuluhan", "topic": "Penumbuhan WKSBM", "region_code": desa}
        yield self.doc(
            "session_scheduled",
            desa,
            session,
            1,
            {**base, "venue": "Balai Desa", "starts_at": f"{day}T02:00:00Z", "ends_at": f"{day}T04:00:00Z"},
        )
        if self.rng.random() < 0.85:
            by_category = {c: self.rng.randint(5, 15) for c in CATEGORIES}
            held = {
                **base,
                "held_on": day,
                "attendance": {"total": sum(by_category.values()), "by_category": by_category},
            }
            yield self.doc("penyuluhan_held", desa, session, 2, held)
        else:
            yield self.doc("session_cancelled", desa, session, 2, {**base, "venue": "Balai Desa", "starts_at": day})
        yield self.doc(
            "notification_sent",
            desa,
            f"dlv_{n}",
            1,
            {
                "delivery_id": f"dlv_{n}",
                "channel": "email",
                "template": "undangan",
                "source_event_id": "x",
                "source_event_type": "session_scheduled",
                "attempts": 1,
            },
        )
        if n % 3 == 0:
            institution = f"ins_{n}"
            profile = {"institution_id": institution, "kind": "WKSBM", "name": f"WKSBM {n}", "region_code": desa}
            board = [{"role": r, "name": f"{r} {n}"} for r in ("ketua", "sekretaris", "bendahara")]
            yield self.doc(
                "institution_registered", desa, institution, 1, {**profile, "status": "initiated", "board": board}
            )
            yield self.doc("WKSBM_formed", desa, institution, 2, {**profile, "formed_on": day, "board": board})
        if n % 5 == 0:
            followup = {
                "followup_id": f"fup_{n}",
                "session_id": session,
                "action": "monev",
                "owner_id": "w",
                "due_on": day,
            }
            yield self.doc("followup_assigned", desa, session, 3, followup)
            if n % 10 == 0:
                yield self.doc("followup_completed", desa, session, 4, {**followup, "completed_on": day})
            else:
                yield self.doc("followup_overdue", desa, session, 4, followup)
        if n % 10 == 0:
            worker = {"worker_id": f"wrk_{n}", "role": "PSM", "name": f"PSM {n}", "region_code": desa}
            yield self.doc("worker_registered", desa, f"wrk_{n}", 1, worker)
        if n % 20 == 0:
            regulation = {
                "regulation_id": f"reg_{n}",
                "title": "Pencegahan NAPZA",
                "region_code": desa,
                "topics": ["NAPZA"],
                "adopted_on": day,
            }
            yield self.doc("community_regulation_adopted", desa, f"reg_{n}", 1, regulation)
        if n % 100 == 0:
            yield self.doc("village_festival", desa, f"x_{n}", 1, {"note": "unknown to reporting"})

    def take(self, total: int) -> Iterator[dict[str, Any]]:
        n = 0
        while True:
            for doc in self.cycle(n):
                if doc["_id"] > total:
                    return
                yield doc
            n += 1


async def load(mongo: Mongo, total: int, chunk: int = 10_000) -> float:
    started = time.perf_counter()
    batch: list[dict[str, Any]] = []
    for doc in Events(random.Random(1)).take(total):
        batch.append(doc)
        if len(batch) == chunk:
            await mongo.db[EVENTS].insert_many(batch, ordered=False)
            batch = []
    if batch:
        await mongo.db[EVENTS].insert_many(batch, ordered=False)
    await mongo.db[COUNTERS].insert_one({"_id": EVENTS, "seq": total})  # as the live path keeps it
    return time.perf_counter() - started


async def raw_scan(url: str, database: str, batch: int) -> tuple[int, float]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url, tz_aware=True)
    try:
        started = time.perf_counter()
        count = 0
        async for _ in client[database][EVENTS].find({}, batch_size=batch):
            count += 1
        return count, time.perf_counter() - started
    finally:
        await client.close()


async def main(total: int, batch: int, fold_events: int, url: str) -> None:
    database = f"bench_reporting_{uuid.uuid4().hex[:8]}"
    mongo = Mongo(url, database)
    try:
        # The event store is loaded with its _id only: the replay reads it in _id order, and the feed's indexes
        # only slow the load. The replay writes a new generation of the projections and builds its indexes.
        print(f"loading {total:,} events …", flush=True)
        loaded = await load(mongo, total)
        print(f"loaded {total:,} events in {loaded:.1f} s ({total / loaded:,.0f} docs/s, insert_many)")

        scanned, scan_s = await raw_scan(url, database, batch)
        last = [0.0]

        async def progress(done: int, of: int) -> None:
            now = time.perf_counter()
            if now - last[0] > 5:
                print(f"  replay {done:,}/{of:,}", flush=True)
                last[0] = now

        peak = [rss_mb(os.getpid())]

        async def sample() -> None:
            while True:
                peak[0] = max(peak[0], rss_mb(os.getpid()))
                await asyncio.sleep(0.5)

        sampling = asyncio.create_task(sample())
        before = peak[0]
        started = time.perf_counter()
        replayed = (await replay(mongo, progress, batch=batch, fold_events=fold_events)).events
        replay_s = time.perf_counter() - started
        sampling.cancel()
        national = await (await view(mongo.db, ROLLUPS)).find_one({"_id": ""})
        assert replayed == scanned == total, (replayed, scanned, total)
        assert national is not None and national["counts"]["events|total"] == total
        print(f"raw pymongo scan : {scanned:,} events in {scan_s:.1f} s = {scanned / scan_s:,.0f} events/s")
        print(f"reporting replay : {replayed:,} events in {replay_s:.1f} s = {replayed / replay_s:,.0f} events/s")
        print(f"ratio replay/raw : {(replayed / replay_s) / (scanned / scan_s):.2f}")
        parts = max(1, -(-total // fold_events))
        print(f"replay memory    : {before:,.0f} MB before, peak {peak[0]:,.0f} MB ({parts} part(s) of the fold)")
    finally:
        await mongo.client.drop_database(database)
        await mongo.close()


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="stored events to replay")
    parser.add_argument("--batch", type=int, default=5000, help="events read per batch")
    parser.add_argument("--fold-events", type=int, default=FOLD_EVENTS, help="events folded in memory at once")
    args = parser.parse_args()
    url = os.environ.get("MONGODB_URL")
    if url:
        asyncio.run(main(args.events, args.batch, args.fold_events, url))
        return
    with tempfile.TemporaryDirectory(prefix="pilar-bench-") as data:
        server = LocalMongo(data).start()
        try:
            asyncio.run(main(args.events, args.batch, args.fold_events, server.url))
        finally:
            server.stop()


if __name__ == "__main__":
    cli()
