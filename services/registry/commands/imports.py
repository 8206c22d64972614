"""Bulk import of institutions or workers from CSV/XLSX: a background job that validates every row, imports the
good ones in batches (each batch one transaction with its events in the outbox) and keeps a per-row error report.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from pymongo.errors import DuplicateKeyError

from contracts.envelope import Envelope
from pilar_runtime.auth import Caller
from pilar_runtime.errors import Unprocessable
from pilar_runtime.models import new_id
from pilar_runtime.mongo import Mongo, UnitOfWork
from pilar_runtime.service import Runtime
from services.registry import events, store
from services.registry.domain.imports import duplicate_error, identity_field, new_job
from services.registry.domain.institutions import InstitutionRegistration, new_institution
from services.registry.domain.rows import (
    FileError,
    ImportKind,
    RowError,
    RowProblems,
    check_header,
    institution_from_row,
    worker_from_row,
)
from services.registry.domain.values import now
from services.registry.domain.workers import WorkerRegistration, new_worker
from services.registry.sheets import read_table
from services.registry.store import IMPORTS, INSTITUTIONS, WORKERS

log = structlog.get_logger("registry.imports")

BATCH = 500
MAX_STORED_ERRORS = 5_000

Records = list[tuple[int, dict[str, str]]]


@dataclass
class Candidate:
    """A valid row on its way in: its document and its identity for duplicate checks."""

    row: int
    document: dict[str, Any]
    identity: str | None


async def start_import(
    runtime: Runtime, caller: Caller, kind: ImportKind, filename: str, content: bytes
) -> dict[str, Any]:
    """Reads the file (a malformed one is a 422 at once) and starts the job; answers the job as created."""
    try:
        header, rows = await asyncio.to_thread(read_table, content)
        columns = check_header(kind, header)
    except FileError as exc:
        raise Unprocessable({"message": str(exc), "field": "file"}) from exc
    job = new_job(new_id("imp"), kind, filename, len(rows), caller.region, caller.sub, now())
    await runtime.mongo.db[IMPORTS].insert_one(job)
    records = [(number, dict(zip(columns, cells, strict=True))) for number, cells in rows]
    runtime.background(_run(runtime.mongo, caller, kind, job["_id"], records), name=f"import-{job['_id']}")
    log.info("import.started", import_id=job["_id"], kind=kind.value, rows=len(rows))
    return job


async def _run(mongo: Mongo, caller: Caller, kind: ImportKind, job_id: str, records: Records) -> None:
    jobs = mongo.db[IMPORTS]
    seen: dict[str, int] = {}
    imported = failed = stored_errors = 0
    truncated = False
    try:
        for batch in _batches(records):
            candidates, errors = _validate(kind, batch, caller, seen)
            duplicates = await _existing(mongo, kind, candidates)
            for candidate in candidates:
                if candidate.identity in duplicates:
                    existing_id, region = duplicates[candidate.identity]
                    shown = existing_id if caller.can_see(region) else None
                    errors.append(duplicate_error(kind, candidate.row, shown))
            good = [c for c in candidates if c.identity not in duplicates]
            errors.extend(await _insert(mongo, kind, good, caller))
            failed_rows = {e.row for e in errors}
            failed += len(failed_rows)
            imported += len(batch) - len(failed_rows)
            kept = sorted(errors, key=lambda e: e.row)[: max(0, MAX_STORED_ERRORS - stored_errors)]
            stored_errors += len(kept)
            truncated = truncated or len(kept) < len(errors)
            await jobs.update_one(
                {"_id": job_id},
                {
                    "$set": {
                        "processed": imported + failed,
                        "imported": imported,
                        "failed": failed,
                        "errors_truncated": truncated,
                        "heartbeat_at": now(),
                    },
                    "$push": {"errors": {"$each": [e.as_dict() for e in kept]}},
                },
            )
            await asyncio.sleep(0)  # let requests in between batches
        await jobs.update_one({"_id": job_id}, {"$set": {"status": "done", "finished_at": now()}})
        log.info("import.finished", import_id=job_id, imported=imported, failed=failed)
    except Exception as exc:  # the job must end in a state the operator can see, whatever happened
        log.exception("import.crashed", import_id=job_id)
        await jobs.update_one(
            {"_id": job_id},
            {"$set": {"status": "failed", "finished_at": now(), "message": f"import stopped: {type(exc).__name__}"}},
        )


def _batches(records: Records) -> Iterator[Records]:
    for start in range(0, len(records), BATCH):
        yield records[start : start + BATCH]


def _validate(
    kind: ImportKind, batch: Records, caller: Caller, seen: dict[str, int]
) -> tuple[list[Candidate], list[RowError]]:
    """Rows → candidates, or errors by column; also refuses rows outside the caller's region and repeats in the file."""
    candidates: list[Candidate] = []
    errors: list[RowError] = []
    at = now()
    for number, values in batch:
        try:
            command = institution_from_row(values) if kind == ImportKind.INSTITUTIONS else worker_from_row(values)
        except RowProblems as problems:
            errors.extend(RowError(number, field, message) for field, message in problems.problems)
            continue
        if not caller.can_see(command.region_code):
            errors.append(RowError(number, "region_code", f"region {command.region_code} is outside your scope"))
            continue
        document, identity = _document(command, caller, at)
        if identity is not None and identity in seen:
            errors.append(RowError(number, identity_field(kind), f"repeats row {seen[identity]} of this file"))
            continue
        if identity is not None:
            seen[identity] = number
        candidates.append(Candidate(number, document, identity))
    return candidates, errors


def _document(
    command: InstitutionRegistration | WorkerRegistration, caller: Caller, at: datetime
) -> tuple[dict[str, Any], str | None]:
    if isinstance(command, InstitutionRegistration):
        document = new_institution(command, new_id("ins"), caller.sub, at)
        return document, document["_dup_key"]
    document = new_worker(command, new_id("wrk"), caller.sub, at)
    return document, document.get("_nik_key")


async def _existing(mongo: Mongo, kind: ImportKind, candidates: list[Candidate]) -> dict[str, tuple[str, str]]:
    """identity → (id, region) of what is already registered."""
    identities = [c.identity for c in candidates if c.identity]
    if not identities:
        return {}
    if kind == ImportKind.WORKERS:
        return await store.registered_workers(mongo, identities)
    return await store.registered_institutions(mongo, [c.document["_name_key"] for c in candidates])


def _event(kind: ImportKind, document: dict[str, Any], actor: str) -> Envelope:
    if kind == ImportKind.INSTITUTIONS:
        return events.institution_registered(document, actor)
    return events.worker_registered(document, actor)


async def _insert(mongo: Mongo, kind: ImportKind, good: list[Candidate], caller: Caller) -> list[RowError]:
    """One transaction for the batch; if a concurrent write makes it collide, row by row to find the culprits."""
    if not good:
        return []
    collection = INSTITUTIONS if kind == ImportKind.INSTITUTIONS else WORKERS

    def work_for(candidates: list[Candidate]) -> Callable[[UnitOfWork], Awaitable[None]]:
        async def work(uow: UnitOfWork) -> None:
            await uow.db[collection].insert_many([dict(c.document) for c in candidates], session=uow.session)
            for candidate in candidates:
                uow.emit(_event(kind, candidate.document, caller.sub))

        return work

    try:
        await mongo.transact(work_for(good))
        return []
    except DuplicateKeyError:
        pass
    errors = []
    for candidate in good:
        try:
            await mongo.transact(work_for([candidate]))
        except DuplicateKeyError:
            errors.append(duplicate_error(kind, candidate.row, None))
    return errors
