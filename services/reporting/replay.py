"""Replay: drop every projection and rebuild it from the event store (``pilar replay reporting``, POST /admin/replay).

The events are read in arrival order in batches and folded in memory with the same pure functions the live
consumer uses, so the rebuilt state equals the live one. The roll-ups are then computed from the final states
(not event by event), and everything is written back in bulk. Reports, report jobs and timers are not
projections and are left alone.

Events that arrive while a replay runs are stored and projected live as usual; run the replay when the
consumer is quiet (the CLI stops nothing) if those last few must not race the final write.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any

import structlog

from pilar_runtime.mongo import Mongo
from services.reporting.domain.facts import Fact
from services.reporting.domain.projection import AGGREGATES, State, apply, contributions, safe, scopes, touches
from services.reporting.store import EVENTS, PROJECTIONS, ROLLUPS, ensure_projection_indexes, level

log = structlog.get_logger("reporting.replay")

Progress = Callable[[int, int], None]
_FIELDS = {
    "event_id": 1,
    "event_type": 1,
    "region_code": 1,
    "aggregate_id": 1,
    "aggregate_version": 1,
    "occurred_at": 1,
    "payload": 1,
}
WRITE_BATCH = 5000


class Rebuild:
    """The projections being rebuilt, in memory."""

    def __init__(self) -> None:
        self.states: dict[str, dict[str, State]] = {name: {} for name in AGGREGATES}
        # (region_code, event_type, month, known) → events: expanded to the roll-ups once at the end.
        self.tally: Counter[tuple[str, str, str, bool]] = Counter()

    def add(self, fact: Fact) -> None:
        occurred: datetime = fact.occurred_at
        self.tally[(fact.region_code, fact.event_type, f"{occurred.year:04d}-{occurred.month:02d}", fact.known)] += 1
        for projection, key in touches(fact):
            states = self.states[projection]
            new = apply(projection, key, states.get(key), fact)
            if new is not None:
                states[key] = new

    def rollups(self) -> list[dict[str, Any]]:
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for projection, states in self.states.items():
            for state in states.values():
                contributed = contributions(projection, state)
                if contributed:
                    for region in scopes(state["region_code"]):
                        counts[region].update(contributed)
        for (region_code, event_type, month, known), n in self.tally.items():
            kind = safe(event_type)
            moved = {"events|total": n, f"events|type|{kind}": n, f"events|month|{month}": n}
            if not known:
                moved[f"events|unknown|{kind}"] = n
            for region in scopes(region_code):
                counts[region].update(moved)
        return [
            {"_id": region, "counts": {k: v for k, v in c.items() if v}, "level": level(region)}
            for region, c in sorted(counts.items())
        ]


async def replay(mongo: Mongo, progress: Progress, batch: int = 5000) -> int:
    """Rebuild every projection from the stored events; returns how many events were replayed."""
    db = mongo.db
    started = time.perf_counter()
    total = await db[EVENTS].count_documents({})
    rebuild = Rebuild()
    done = 0
    progress(0, total)
    # Walking the _id index gives arrival order without sorting a million documents in memory.
    cursor = db[EVENTS].find({}, _FIELDS, batch_size=batch).hint([("_id", 1)])
    async for doc in cursor:
        rebuild.add(Fact.from_stored(doc))
        done += 1
        if done % batch == 0:
            progress(done, max(total, done))
    for name in PROJECTIONS:
        await db[name].drop()
    documents = {name: list(states.values()) for name, states in rebuild.states.items()}
    documents[ROLLUPS] = rebuild.rollups()
    wrote = time.perf_counter()
    await asyncio.gather(*(_insert(db[name], docs) for name, docs in documents.items()))
    indexed = time.perf_counter()
    await ensure_projection_indexes(db)  # built once over the written documents: cheaper than row by row
    log.info(
        "replay.written",
        write_ms=round((indexed - wrote) * 1000),
        index_ms=round((time.perf_counter() - indexed) * 1000),
        read_and_fold_ms=round((wrote - started) * 1000),
    )
    progress(done, max(total, done))
    log.info("replay.done", events=done, duration_ms=round((time.perf_counter() - started) * 1000))
    return done


async def _insert(collection: Any, documents: list[dict[str, Any]]) -> None:
    for start in range(0, len(documents), WRITE_BATCH):
        await collection.insert_many(documents[start : start + WRITE_BATCH], ordered=False)
