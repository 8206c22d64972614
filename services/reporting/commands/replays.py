"""Replays: drop every projection and rebuild it from the event store (``pilar replay reporting``, POST
/admin/replay), in the background, one at a time.

The events are read in arrival order in batches and folded in memory (``domain.rebuild``), then everything is
written back in bulk. Reports, report jobs and timers are not projections and are left alone. Events that arrive
while a replay runs are stored and projected live as usual; run the replay when the consumer is quiet (the CLI
stops nothing) if those last few must not race the final write.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import structlog

from pilar_runtime.auth import Caller
from pilar_runtime.errors import Conflict
from pilar_runtime.mongo import Mongo
from services.reporting import store
from services.reporting.domain.facts import Fact
from services.reporting.domain.rebuild import Rebuild
from services.reporting.store import ROLLUPS, Db

log = structlog.get_logger("reporting.replays")
REPLAY_LEASE = timedelta(hours=1)  # a replay still "running" after this long is taken to have died with its process
Progress = Callable[[int, int], None]


async def replay(mongo: Mongo, progress: Progress, batch: int = 5000) -> int:
    """Rebuild every projection from the stored events; returns how many events were replayed."""
    db = mongo.db
    started = time.perf_counter()
    total = await store.count_events(db)
    rebuild = Rebuild()
    done = 0
    progress(0, total)
    async for doc in store.events_in_arrival_order(db, batch):
        rebuild.add(Fact.from_stored(doc))
        done += 1
        if done % batch == 0:
            progress(done, max(total, done))
    await store.drop_projections(db)
    documents = {name: list(states.values()) for name, states in rebuild.states.items()}
    documents[ROLLUPS] = rebuild.rollups()
    wrote = time.perf_counter()
    await store.insert_projections(db, documents)
    indexed = time.perf_counter()
    await store.ensure_projection_indexes(db)  # built once over the written documents: cheaper than row by row
    log.info(
        "replay.written",
        write_ms=round((indexed - wrote) * 1000),
        index_ms=round((time.perf_counter() - indexed) * 1000),
        read_and_fold_ms=round((wrote - started) * 1000),
    )
    progress(done, max(total, done))
    log.info("replay.done", events=done, duration_ms=round((time.perf_counter() - started) * 1000))
    return done


async def start_replay(db: Db, caller: Caller) -> datetime:
    """Mark a replay running (409 while one runs); returns when it started."""
    now = datetime.now(UTC)
    if not await store.claim_replay(db, caller.sub, now, REPLAY_LEASE):
        raise Conflict("a replay is already running")
    return now


async def run_replay(mongo: Mongo, batch: int, progress: dict[str, int]) -> None:
    """Run the replay started by ``start_replay``, keeping ``progress`` (done, total) up to date."""

    def report(done: int, total: int) -> None:
        progress.update(done=done, total=total)

    try:
        count = await replay(mongo, report, batch=batch)
    except Exception as exc:
        log.exception("replay.failed")
        await store.end_replay(mongo.db, {"status": "failed", "error": str(exc)})
        return
    await store.end_replay(mongo.db, {"status": "done", "events": count, "finished_at": datetime.now(UTC)})
