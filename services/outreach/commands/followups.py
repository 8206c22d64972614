"""Follow-ups (tindak lanjut): completed by their owner's office, or marked overdue by their timer."""

from __future__ import annotations

from typing import Any

from pilar_runtime.auth import Caller
from pilar_runtime.errors import Conflict
from pilar_runtime.localtime import local_today, zone_of
from pilar_runtime.mongo import Mongo, UnitOfWork
from pilar_runtime.timers import cancel_timer
from services.outreach import events, store
from services.outreach.commands.shared import SERVICE_ACTOR, log, visible
from services.outreach.domain.followups import completed_followup, turns_overdue
from services.outreach.domain.models import CompleteFollowupIn
from services.outreach.store import FOLLOWUPS

FOLLOWUP_DUE = "followup_due"  # the timer at the end of a follow-up's due day


async def complete_followup(mongo: Mongo, followup_id: str, body: CompleteFollowupIn, caller: Caller) -> dict[str, Any]:
    before = await visible(mongo, FOLLOWUPS, followup_id, caller, "follow-up")
    after = completed_followup(before, body, today=local_today(zone_of(before["region_code"])), by=caller.sub)

    async def work(uow: UnitOfWork) -> None:
        if not await store.replace_unchanged(uow, FOLLOWUPS, before, after):
            raise Conflict({"rule": "followup_changed", "message": f"follow-up {followup_id} changed meanwhile"})
        await cancel_timer(uow, FOLLOWUP_DUE, followup_id)
        uow.emit(events.followup_completed(after, caller.sub))

    await mongo.transact(work)
    log.info("followup.completed", followup_id=followup_id)
    return after


async def mark_followup_overdue(uow: UnitOfWork, followup_id: str) -> None:
    """The due date passed: an open follow-up becomes overdue, once."""
    followup = await store.get(uow, FOLLOWUPS, followup_id)
    if followup is None or not turns_overdue(followup):
        return
    followup.update(overdue=True, version=followup["version"] + 1)
    await store.set_fields(uow, FOLLOWUPS, followup_id, {"overdue": True, "version": followup["version"]})
    uow.emit(events.followup_overdue(followup, SERVICE_ACTOR))
    log.info("followup.overdue", followup_id=followup_id)
