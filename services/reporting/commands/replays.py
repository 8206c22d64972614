"""Replays: rebuild every projection from the event store in the background, one at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import structlog

from pilar_runtime.auth import Caller
from pilar_runtime.errors import Conflict
from pilar_runtime.mongo import Mongo
from services.reporting import store
from services.reporting.replay import replay
from services.reporting.store import Db

log = structlog.get_logger("reporting.replays")
STALE_AFTER = timedelta(hours=1)  # a replay still "running" after this long is taken to have died with its process


async def start_replay(db: Db, caller: Caller) -> datetime:
    """Mark a replay running (409 while one runs); returns when it started."""
    now = datetime.now(UTC)
    if not await store.claim_replay(db, caller.sub, now, now - STALE_AFTER):
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
