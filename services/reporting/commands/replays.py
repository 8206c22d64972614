"""Replays: rebuild every projection from the event store (``pilar replay reporting``, POST /admin/replay), in the
background, one at a time, while the live consumer goes on (blue/green projections, see ``store``):

1. the events stored up to the newest one (the cursor) are read in arrival order and folded in memory
   (``domain.rebuild``), the server reading the next batch while this one is folded — a store of more than
   ``FOLD_EVENTS`` events in parts, each keeping a share of the records and reading the events again;
2. the result is written into the next generation (each part's as it is folded, the roll-ups last): fresh
   collections beside those in use, plain unordered inserts, then their indexes. The live consumer keeps
   projecting into the generation in use meanwhile;
3. catch-up: the events stored since the cursor go into the new generation through the live path's own code
   (``commands.events.project``), a transaction per batch, until less than a batch is left;
4. the switch: one transaction puts the new generation in use, then projects the last events into it. Live
   transactions bump the same counter document, so they wait for it (conflict and retry), then go on in the new
   generation: no event is lost or projected twice, and readers see either generation whole.

The replaced generation is dropped a little later (readers in other replicas may still use it for a second). A
replay that fails leaves the generation in use as it was; the next one drops what it wrote. Reports, report jobs
and timers are not projections and are left alone.
"""

from __future__ import annotations

import asyncio
import gc
import math
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

import structlog

from pilar_runtime.auth import Caller
from pilar_runtime.errors import Conflict
from pilar_runtime.mongo import Mongo, UnitOfWork
from services.reporting import store
from services.reporting.commands.events import project
from services.reporting.domain.facts import Fact
from services.reporting.domain.rebuild import Rebuild, Settled, rollups
from services.reporting.store import ROLLUPS, Db

log = structlog.get_logger("reporting.replays")
# The states take about 3 KB an event at national scale: 150,000 events' keep a replay within a service's 500 MB.
FOLD_EVENTS = 150_000
REPLAY_LEASE = timedelta(hours=1)  # a replay still "running" after this long is taken to have died with its process
Progress = Callable[[int, int], Awaitable[None]]


@dataclass(frozen=True)
class Replayed:
    events: int  # every event projected into the new generation
    caught_up: int  # of those, the events stored while the replay ran
    generation: int  # the generation now in use
    replaced: int


async def replay(mongo: Mongo, progress: Progress, batch: int = 5000, fold_events: int = FOLD_EVENTS) -> Replayed:
    """Rebuild every projection from the stored events into a new generation and put it in use; a store of more
    than ``fold_events`` events is folded in parts (``domain.rebuild``), so that its states never all sit in
    memory at once."""
    db = mongo.db
    cursor, replaced = await store.sequence(db)
    for leftover in await store.generations_stored(db):
        if leftover != replaced:
            await store.drop_generation(db, leftover)
    # Progress counts events (sequence numbers have gaps with partitions): those stored, and more as they arrive.
    # A store folded in parts is read once per part: each read counts for its share.
    expected = await store.stored_events(db)
    parts = max(1, math.ceil(expected / fold_events))
    target = replaced + 1
    settled: Settled = defaultdict(Counter)  # every part's contributions to the roll-ups, added up as they come
    read = 0
    fold_s = write_s = 0.0
    await progress(0, expected)
    for part in range(parts):
        began = time.perf_counter()
        rebuild = Rebuild(part, parts)
        with _collector_paused():
            async for events in store.events_up_to(db, cursor, batch):
                for doc in events:
                    rebuild.add(Fact.from_stored(doc))
                read += len(events)
                await progress(read // parts, max(expected, read // parts))
            for region, contributed in rebuild.settled().items():
                settled[region].update(contributed)
        documents = {name: list(states.values()) for name, states in rebuild.states.items()}
        del rebuild
        folded = time.perf_counter()
        await store.write_generation(db, target, documents)
        del documents
        fold_s, write_s = fold_s + folded - began, write_s + time.perf_counter() - folded
    done = read // parts
    await store.write_generation(db, target, {ROLLUPS: rollups(settled)})
    written = time.perf_counter()
    await store.ensure_projection_indexes(db, target)
    indexed = time.perf_counter()
    caught_up = 0
    while True:
        moved, cursor, last = await mongo.transact(partial(_catch_up, target, cursor, batch))
        caught_up += moved
        await progress(done + caught_up, max(expected, done + caught_up + (moved if cursor != last else 0)))
        if cursor == last:
            break
    caught_up += await mongo.transact(partial(_switch, replaced, target, cursor))
    store.IN_USE.switched(db, target)
    log.info(
        "replay.done",
        events=done + caught_up,
        caught_up=caught_up,
        generation=target,
        parts=parts,
        read_and_fold_ms=round(fold_s * 1000),
        write_ms=round(write_s * 1000),
        index_ms=round((indexed - written) * 1000),
        catch_up_and_switch_ms=round((time.perf_counter() - indexed) * 1000),
    )
    return Replayed(done + caught_up, caught_up, target, replaced)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The fold makes millions of objects that all live until it ends: Python's cycle collector would walk them
    again and again for nothing (a quarter of the fold's time). Reference counting still frees the rest."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


async def _catch_up(generation: int, after: int, limit: int, uow: UnitOfWork) -> tuple[int, int, int]:
    """Project the events stored after ``after`` into ``generation``, up to ``limit`` sequence numbers of them;
    returns how many, the new cursor and the horizon (every event up to it is stored)."""
    counters, _ = await store.read_counters(uow.db, uow)
    last = counters.horizon()
    numbers = [n for n in counters.after(after, limit) if n <= last]
    upto = max(numbers[-1] if len(numbers) == limit else last, after)  # never back: the switch would project twice
    return await _project(uow, generation, numbers), upto, last


async def _switch(replaced: int, generation: int, after: int, uow: UnitOfWork) -> int:
    # The switch first: from here the live transactions wait, so the events read next are the last ones — in
    # every partition, up to its own counter (those past the horizon too: they are committed as this sees them).
    counters = await store.switch_generation(uow, replaced, generation)
    if counters is None:
        raise Conflict("the projections were switched by another replay meanwhile")
    return await _project(uow, generation, counters.after(after))


async def _project(uow: UnitOfWork, generation: int, numbers: list[int]) -> int:
    store.writes_into(uow, generation)
    events = await store.events_numbered(uow, numbers)
    for doc in events:
        await project(uow, Fact.from_stored(doc))
    return len(events)


async def start_replay(db: Db, caller: Caller) -> datetime:
    """Mark a replay running (409 while one runs); returns when it started."""
    now = datetime.now(UTC)
    if not await store.claim_replay(db, caller.sub, now, REPLAY_LEASE):
        raise Conflict("a replay is already running")
    return now


async def run_replay(mongo: Mongo, batch: int, progress: dict[str, int]) -> None:
    """Run the replay started by ``start_replay``, keeping ``progress`` (done, total) up to date, then drop the
    generation it replaced."""

    async def report(done: int, total: int) -> None:
        progress.update(done=done, total=total)

    try:
        replayed = await replay(mongo, report, batch=batch)
    except Exception as exc:
        log.exception("replay.failed")
        await store.end_replay(mongo.db, {"status": "failed", "error": str(exc)})
        return
    finished = {"status": "done", "events": replayed.events, "caught_up": replayed.caught_up}
    await store.end_replay(mongo.db, {**finished, "finished_at": datetime.now(UTC)})
    await asyncio.sleep(store.IN_USE.DROP_AFTER)  # readers in other replicas may use it until they look again
    await store.drop_generation(mongo.db, replayed.replaced)
