"""POST /admin/replay: rebuild every projection from the event store, in the background (admins only)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from fastapi import APIRouter, HTTPException

from pilar_runtime.auth import CallerDep, Role
from pilar_runtime.errors import Conflict
from pilar_runtime.mongo import Mongo
from pilar_runtime.service import RuntimeDep
from services.reporting.parts import PartsDep
from services.reporting.replay import replay

router = APIRouter(tags=["operations"])
log = structlog.get_logger("reporting.admin")
REPLAYS = "replays"
STALE_AFTER_SECONDS = 3600  # a replay still "running" after this long is taken to have died with its process


def _admin(caller: CallerDep) -> None:
    if caller.role != Role.ADMIN:
        raise HTTPException(403, "only an admin may replay the projections")


async def _run(mongo: Mongo, batch: int, progress: dict[str, int]) -> None:
    state = mongo.db[REPLAYS]

    def report(done: int, total: int) -> None:
        progress.update(done=done, total=total)

    try:
        count = await replay(mongo, report, batch=batch)
    except Exception as exc:
        log.exception("replay.failed")
        await state.update_one({"_id": "replay"}, {"$set": {"status": "failed", "error": str(exc)}})
        return
    await state.update_one(
        {"_id": "replay"},
        {"$set": {"status": "done", "events": count, "finished_at": datetime.now(UTC)}},
    )


@router.post("/admin/replay", status_code=202, summary="Rebuild every projection from the stored events")
async def start_replay(runtime: RuntimeDep, parts: PartsDep, caller: CallerDep) -> dict[str, Any]:
    _admin(caller)
    now = datetime.now(UTC)
    state = runtime.mongo.db[REPLAYS]
    await state.update_one({"_id": "replay"}, {"$setOnInsert": {"status": "idle"}}, upsert=True)
    taken = await state.find_one_and_update(
        {
            "_id": "replay",
            "$or": [
                {"status": {"$ne": "running"}},
                {"started_at": {"$lt": now - timedelta(seconds=STALE_AFTER_SECONDS)}},
            ],
        },
        {"$set": {"status": "running", "started_at": now, "started_by": caller.sub, "error": None}},
        return_document=True,
    )
    if taken is None:
        raise Conflict("a replay is already running")
    settings: Any = runtime.settings
    parts.replay_progress.clear()
    runtime.background(_run(runtime.mongo, settings.replay_batch, parts.replay_progress), name="replay")
    return {"status": "running", "started_at": now.isoformat()}


@router.get("/admin/replay", summary="State of the last replay")
async def replay_state(runtime: RuntimeDep, parts: PartsDep, caller: CallerDep) -> dict[str, Any]:
    _admin(caller)
    doc = await runtime.mongo.db[REPLAYS].find_one({"_id": "replay"}) or {"status": "idle"}
    doc.pop("_id", None)
    return {**doc, **parts.replay_progress}
