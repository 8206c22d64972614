"""Workers (PSKS people): registration and changes."""

from __future__ import annotations

from typing import Any

import structlog
from pymongo.errors import DuplicateKeyError

from pilar_runtime.auth import Caller
from pilar_runtime.errors import Conflict
from pilar_runtime.models import new_id
from pilar_runtime.mongo import Mongo, UnitOfWork
from services.registry import events
from services.registry.domain.values import now
from services.registry.domain.workers import WorkerChanges, WorkerRegistration, apply_changes, new_worker, with_nik_key
from services.registry.store import WORKERS, get_scoped

log = structlog.get_logger("registry.workers")

NIK_TAKEN = "nik: another worker is registered with this NIK"


async def register_worker(mongo: Mongo, command: WorkerRegistration, caller: Caller) -> dict[str, Any]:
    """A new worker, one per NIK (409): worker_registered."""
    caller.require_region(command.region_code)
    document = new_worker(command, new_id("wrk"), caller.sub, now())

    async def work(uow: UnitOfWork) -> None:
        await uow.db[WORKERS].insert_one(document, session=uow.session)
        uow.emit(events.worker_registered(document, caller.sub))

    try:
        await mongo.transact(work)
    except DuplicateKeyError:
        raise Conflict(NIK_TAKEN) from None
    log.info("worker.registered", worker_id=document["_id"], role=command.role, region_code=command.region_code)
    return document


async def change_worker(mongo: Mongo, worker_id: str, changes: WorkerChanges, caller: Caller) -> dict[str, Any]:
    """The fields given, the region re-checked against the role and the caller's scope: worker_updated."""

    async def work(uow: UnitOfWork) -> dict[str, Any]:
        current = await get_scoped(mongo, WORKERS, worker_id, caller, "worker", uow)
        updated = apply_changes(current, changes)
        caller.require_region(updated["region_code"])
        updated = with_nik_key({**updated, "version": current["version"] + 1, "updated_at": now()})
        await uow.db[WORKERS].replace_one({"_id": worker_id}, updated, session=uow.session)
        uow.emit(events.worker_updated(updated, caller.sub))
        return updated

    try:
        updated = await mongo.transact(work)
    except DuplicateKeyError:
        raise Conflict(NIK_TAKEN) from None
    log.info("worker.updated", worker_id=worker_id, fields=sorted(changes.model_fields_set))
    return updated
