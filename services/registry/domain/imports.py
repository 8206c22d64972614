"""Import jobs: the job as created and as operators see it, and the row errors for what is already registered."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pilar_runtime.models import public
from services.registry.domain.rows import ImportKind, RowError

# A running job that has not written progress for this long was cut off by a restart.
STALLED_AFTER = timedelta(minutes=5)


def new_job(
    job_id: str, kind: ImportKind, filename: str, rows: int, region_code: str, actor: str, now: datetime
) -> dict[str, Any]:
    return {
        "_id": job_id,
        "kind": kind.value,
        "filename": filename[:200],
        "status": "running",
        "total": rows,
        "processed": 0,
        "imported": 0,
        "failed": 0,
        "errors": [],
        "errors_truncated": False,
        # The job is visible in the region scope of whoever started it.
        "region_code": region_code,
        "created_by": actor,
        "created_at": now,
        "heartbeat_at": now,
        "finished_at": None,
    }


def job_view(job: dict[str, Any], at: datetime) -> dict[str, Any]:
    """The job as operators see it: a job cut off by a restart says so instead of running forever."""
    view = public(job)
    if job["status"] == "running" and at - job["heartbeat_at"] > STALLED_AFTER:
        view["status"] = "interrupted"
        view["message"] = "the service stopped during the import: the rows processed are in; upload the rest again"
    return view


def identity_field(kind: ImportKind) -> str:
    """The column a row repeats another by: an institution's name (in its kind and desa), a worker's NIK."""
    return "name" if kind == ImportKind.INSTITUTIONS else "nik"


def duplicate_error(kind: ImportKind, row: int, existing_id: str | None) -> RowError:
    """Names the existing record only when the caller may see it: a NIK must not reveal another region's worker."""
    named = f": {existing_id}" if existing_id else ""
    if kind == ImportKind.INSTITUTIONS:
        return RowError(row, "name", f"an institution of this kind with this name exists in this desa{named}")
    return RowError(row, "nik", f"a worker with this NIK is registered{named}")
