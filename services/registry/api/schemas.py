"""What the registry's routes answer: stored records as readers see them (``_id`` as ``id``, internal fields
dropped, personal data masked for who may not see it whole)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from contracts.events.common import InstitutionKind, InstitutionStatus, WorkerRole
from contracts.events.registry import ActivityKind
from pilar_runtime.models import Timestamp, View


class BoardSeatView(View):
    role: str
    name: str
    nik: str | None = None
    phone: str | None = None


class LegalBasisView(View):
    sk_number: str
    sk_date: date


class FormationView(View):
    formed_on: date
    session_id: str | None = None
    campaign_id: str | None = None


class Institution(View):
    kind: InstitutionKind
    name: str
    region_code: str
    address: str | None = None
    legal_basis: LegalBasisView | None = None
    status: InstitutionStatus
    board: list[BoardSeatView]
    member_ids: list[str]
    issues: list[str]
    formation: FormationView | None = None
    version: int
    created_at: Timestamp
    updated_at: Timestamp | None = None
    created_by: str | None = None
    id: str


class InstitutionActivity(View):
    institution_id: str
    institution_kind: InstitutionKind
    region_code: str
    kind: ActivityKind
    date: date
    participants: int
    notes: str | None = None
    recorded_by: str | None = None
    created_at: Timestamp
    id: str


class Worker(View):
    role: WorkerRole
    name: str
    region_code: str
    nik: str | None = None
    phone: str | None = None
    email: str | None = None
    active: bool
    version: int
    created_at: Timestamp
    updated_at: Timestamp | None = None
    created_by: str | None = None
    id: str


class Revocation(View):
    revoked_on: date
    reason: str
    revoked_by: str
    revoked_at: Timestamp


class CommunityRegulation(View):
    region_code: str
    title: str
    topics: list[str]
    adopted_on: date
    pokja_id: str | None = None
    description: str | None = None
    status: Literal["in_force", "revoked"] = Field("in_force", description="a revoked regulation stays on record")
    revocation: Revocation | None = None
    version: int
    created_at: Timestamp
    created_by: str | None = None
    updated_at: Timestamp | None = None
    updated_by: str | None = None
    id: str


class RowErrorView(View):
    row: int
    field: str
    message: str


class ImportJob(View):
    """A job; the list leaves out ``errors``, and ``message`` says why a job failed or was interrupted."""

    kind: Literal["institutions", "workers"]
    filename: str
    status: Literal["running", "done", "failed", "interrupted"]
    total: int
    processed: int
    imported: int
    failed: int
    errors: list[RowErrorView] | None = None
    errors_truncated: bool
    region_code: str
    created_by: str | None = None
    created_at: Timestamp
    heartbeat_at: Timestamp
    finished_at: Timestamp | None
    message: str | None = None
    id: str


class Region(BaseModel):
    code: str
    name: str
    level: Literal["provinsi", "kabupaten", "kecamatan", "desa"]
    type: str
    path: str
    parent_code: str | None


class RegionWithParents(Region):
    parents: list[Region]
