"""Activities of an institution after its formation: pelatihan, pendampingan, monev, revitalisasi."""

from __future__ import annotations

from typing import Any

import structlog

from pilar_runtime.auth import Caller
from pilar_runtime.models import PageParams, new_id
from pilar_runtime.mongo import Mongo, UnitOfWork
from services.registry import events
from services.registry.domain.activities import ActivityRecord, check_recordable, new_activity
from services.registry.domain.values import now
from services.registry.store import ACTIVITIES, INSTITUTIONS, activities_page, get_scoped

log = structlog.get_logger("registry.activities")


async def record_activity(mongo: Mongo, institution_id: str, record: ActivityRecord, caller: Caller) -> dict[str, Any]:
    """An activity of an institution in the caller's region: institution_activity_recorded. The institution's
    version moves with it, so the event takes its place in the institution's history."""

    async def work(uow: UnitOfWork) -> dict[str, Any]:
        current = await get_scoped(mongo, INSTITUTIONS, institution_id, caller, "institution", uow)
        check_recordable(current["status"])
        stamp = now()
        activity = new_activity(record, new_id("act"), current, caller.sub, stamp)
        version = current["version"] + 1
        await uow.db[INSTITUTIONS].update_one(
            {"_id": institution_id}, {"$set": {"version": version, "updated_at": stamp}}, session=uow.session
        )
        await uow.db[ACTIVITIES].insert_one(activity, session=uow.session)
        uow.emit(events.institution_activity_recorded(activity, {**current, "version": version}, caller.sub))
        return activity

    activity = await mongo.transact(work)
    log.info("institution.activity_recorded", institution_id=institution_id, kind=record.kind.value)
    return activity


async def activities_of(mongo: Mongo, institution_id: str, caller: Caller, page: PageParams) -> dict[str, Any]:
    """A page of an institution's activities (404 unknown, 403 outside the caller's region)."""
    await get_scoped(mongo, INSTITUTIONS, institution_id, caller, "institution")
    return await activities_page(mongo, institution_id, page)
