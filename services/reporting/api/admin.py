"""POST /admin/replay: rebuild every projection from the event store, in the background (admins only)."""

from __future__ import annotations

from fastapi import APIRouter

from pilar_runtime.auth import CallerDep, Role
from pilar_runtime.errors import Forbidden
from pilar_runtime.service import RuntimeDep
from services.reporting import store
from services.reporting.api.schemas import ReplayStarted, ReplayState
from services.reporting.commands import replays
from services.reporting.parts import PartsDep

router = APIRouter(tags=["operations"])


def _admin(caller: CallerDep) -> None:
    if caller.role != Role.ADMIN:
        raise Forbidden("only an admin may replay the projections")


@router.post("/admin/replay", status_code=202, summary="Rebuild every projection from the stored events")
async def start_replay(runtime: RuntimeDep, parts: PartsDep, caller: CallerDep) -> ReplayStarted:
    _admin(caller)
    started_at = await replays.start_replay(runtime.mongo.db, caller)
    parts.replay_progress.clear()
    runtime.background(replays.run_replay(runtime.mongo, parts.replay_batch, parts.replay_progress), name="replay")
    return ReplayStarted(status="running", started_at=started_at.isoformat())


@router.get("/admin/replay", summary="State of the last replay", response_model_exclude_unset=True)
async def replay_state(runtime: RuntimeDep, parts: PartsDep, caller: CallerDep) -> ReplayState:
    _admin(caller)
    doc = await store.replay_state(runtime.mongo.db)
    return ReplayState.model_validate({**doc, **parts.replay_progress})
