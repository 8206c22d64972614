"""Workers (PSKS people): registration, reads, changes."""

from __future__ import annotations

import re
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Query
from pymongo.errors import DuplicateKeyError

from contracts.events.common import WorkerRole
from pilar_runtime.api import PageDep, new_id, page_of, public
from pilar_runtime.auth import CallerDep, WriterDep
from pilar_runtime.errors import Conflict
from pilar_runtime.mongo import UnitOfWork
from pilar_runtime.service import RuntimeDep
from services.registry import events
from services.registry.api.common import now, scope_filter, shown
from services.registry.domain.workers import WorkerChanges, WorkerRegistration, apply_changes, new_worker, with_nik_key
from services.registry.store import WORKERS, get_scoped

log = structlog.get_logger("registry.workers")
router = APIRouter(prefix="/workers", tags=["workers"])

NIK_TAKEN = "nik: another worker is registered with this NIK"


@router.post("", status_code=201, summary="Register a worker (PSM, TKSK, penyuluh, pendamping PKH, …)")
async def create(command: WorkerRegistration, caller: WriterDep, runtime: RuntimeDep) -> dict[str, Any]:
    caller.require_region(command.region_code)
    document = new_worker(command, new_id("wrk"), caller.sub, now())

    async def work(uow: UnitOfWork) -> None:
        await uow.db[WORKERS].insert_one(document, session=uow.session)
        uow.emit(events.worker_registered(document, caller.sub))

    try:
        await runtime.mongo.transact(work)
    except DuplicateKeyError:
        raise Conflict(NIK_TAKEN) from None
    log.info("worker.registered", worker_id=document["_id"], role=command.role, region_code=command.region_code)
    return public(document)


@router.get("", summary="Workers in your region, filtered")
async def list_workers(
    caller: CallerDep,
    runtime: RuntimeDep,
    page: PageDep,
    role: WorkerRole | None = None,
    active: bool | None = None,
    region: Annotated[str | None, Query(description="a region code: its whole subtree")] = None,
    q: Annotated[str | None, Query(max_length=200, description="text in the name")] = None,
) -> dict[str, Any]:
    query = scope_filter(caller, region)
    if role:
        query["role"] = role.value
    if active is not None:
        query["active"] = active
    if q:
        query["name"] = {"$regex": re.escape(q.strip()), "$options": "i"}
    return await page_of(
        runtime.mongo.db[WORKERS], query, page, [("created_at", 1), ("_id", 1)], show=lambda d: shown(caller, d)
    )


@router.get("/{worker_id}", summary="One worker")
async def get(worker_id: str, caller: CallerDep, runtime: RuntimeDep) -> dict[str, Any]:
    return shown(caller, await get_scoped(runtime, WORKERS, worker_id, caller, "worker"))


@router.patch("/{worker_id}", summary="Change a worker: emits worker_updated")
async def patch(worker_id: str, changes: WorkerChanges, caller: WriterDep, runtime: RuntimeDep) -> dict[str, Any]:
    async def work(uow: UnitOfWork) -> dict[str, Any]:
        current = await get_scoped(runtime, WORKERS, worker_id, caller, "worker", uow)
        updated = apply_changes(current, changes)
        caller.require_region(updated["region_code"])
        updated = with_nik_key({**updated, "version": current["version"] + 1, "updated_at": now()})
        await uow.db[WORKERS].replace_one({"_id": worker_id}, updated, session=uow.session)
        uow.emit(events.worker_updated(updated, caller.sub))
        return updated

    try:
        updated = await runtime.mongo.transact(work)
    except DuplicateKeyError:
        raise Conflict(NIK_TAKEN) from None
    log.info("worker.updated", worker_id=worker_id, fields=sorted(changes.model_fields_set))
    return public(updated)
