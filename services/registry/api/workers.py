"""Workers (PSKS people): registration, reads, changes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from contracts.events.common import WorkerRole
from pilar_runtime.api import PageDep
from pilar_runtime.auth import CallerDep, WriterDep
from pilar_runtime.models import Page, public
from pilar_runtime.service import RuntimeDep
from services.registry import store
from services.registry.api.common import shown
from services.registry.api.schemas import Worker
from services.registry.commands import workers as commands
from services.registry.domain.workers import WorkerChanges, WorkerRegistration

router = APIRouter(prefix="/workers", tags=["workers"])


@router.post(
    "",
    status_code=201,
    response_model=Worker,
    summary="Register a worker (PSM, TKSK, penyuluh, pendamping PKH, …)",
    response_model_exclude_unset=True,
)
async def create(command: WorkerRegistration, caller: WriterDep, runtime: RuntimeDep) -> dict[str, Any]:
    return public(await commands.register_worker(runtime.mongo, command, caller))


@router.get(
    "", response_model=Page[Worker], summary="Workers in your region, filtered", response_model_exclude_unset=True
)
async def list_workers(
    caller: CallerDep,
    runtime: RuntimeDep,
    page: PageDep,
    role: WorkerRole | None = None,
    active: bool | None = None,
    region: Annotated[str | None, Query(description="a region code: its whole subtree")] = None,
    q: Annotated[str | None, Query(max_length=200, description="text in the name")] = None,
) -> dict[str, Any]:
    return await store.workers_page(
        runtime.mongo,
        caller.list_filter(region),
        page,
        lambda d: shown(caller, d),
        role=role.value if role else None,
        active=active,
        name=q,
    )


@router.get("/{worker_id}", response_model=Worker, summary="One worker", response_model_exclude_unset=True)
async def get(worker_id: str, caller: CallerDep, runtime: RuntimeDep) -> dict[str, Any]:
    return shown(caller, await store.get_scoped(runtime.mongo, store.WORKERS, worker_id, caller, "worker"))


@router.patch(
    "/{worker_id}",
    response_model=Worker,
    summary="Change a worker: emits worker_updated",
    response_model_exclude_unset=True,
)
async def patch(worker_id: str, changes: WorkerChanges, caller: WriterDep, runtime: RuntimeDep) -> dict[str, Any]:
    return public(await commands.change_worker(runtime.mongo, worker_id, changes, caller))
