"""Events produced by the registry: institutions, formation, regulations, workers."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import Field

from contracts.envelope import EventPayload
from contracts.events.common import BoardMember, InstitutionKind, InstitutionStatus, LegalBasis, WorkerRole


class ActivityKind(StrEnum):
    """What happens to an institution after its formation (seeds 001–003): its board is trained, it is
    accompanied, monitored and evaluated, a Karang Taruna is revitalised."""

    PELATIHAN = "pelatihan"
    PENDAMPINGAN = "pendampingan"
    MONEV = "monev"
    REVITALISASI = "revitalisasi"


class InstitutionRegistered(EventPayload):
    institution_id: str
    kind: InstitutionKind
    name: str
    region_code: str
    address: str | None = None
    status: InstitutionStatus
    legal_basis: LegalBasis | None = None
    board: list[BoardMember] = Field(default_factory=list)
    member_ids: list[str] = Field(default_factory=list)
    issues: list[str] = Field(default_factory=list)


class InstitutionUpdated(InstitutionRegistered):
    """`institution_updated`: name, address, legal basis, members or issues changed (the full current state)."""


class InstitutionFormed(EventPayload):
    """`WKSBM_formed`, `Pokja_formed`, `KarangTaruna_formed`: the penumbuhan is complete."""

    institution_id: str
    kind: InstitutionKind
    name: str
    region_code: str
    formed_on: date
    board: list[BoardMember]
    member_ids: list[str] = Field(default_factory=list)
    session_id: str | None = None
    campaign_id: str | None = None


class BoardChanged(EventPayload):
    institution_id: str
    kind: InstitutionKind
    board: list[BoardMember]


class InstitutionStatusChanged(EventPayload):
    institution_id: str
    kind: InstitutionKind
    previous_status: InstitutionStatus
    status: InstitutionStatus


class InstitutionActivityRecorded(EventPayload):
    """`institution_activity_recorded`: an activity of an institution took place (a count of participants, no names)."""

    activity_id: str
    institution_id: str
    kind: InstitutionKind
    name: str
    region_code: str
    activity_kind: ActivityKind
    held_on: date
    participants: int = Field(ge=0)
    notes: str | None = None


class CommunityRegulationAdopted(EventPayload):
    regulation_id: str
    title: str
    region_code: str
    topics: list[str]
    adopted_on: date
    pokja_id: str | None = None


class CommunityRegulationAmended(CommunityRegulationAdopted):
    """`community_regulation_amended`: the regulation's current state after the change, the fields changed and why."""

    changed_fields: list[str] = Field(default_factory=list, description="title, topics, adopted_on, …")
    reason: str | None = None


class CommunityRegulationRevoked(EventPayload):
    """`community_regulation_revoked`: the regulation is no longer in force from `revoked_on`; it stays on record."""

    regulation_id: str
    title: str
    region_code: str
    topics: list[str]
    adopted_on: date
    revoked_on: date
    reason: str


class WorkerRegistered(EventPayload):
    worker_id: str
    role: WorkerRole
    name: str
    region_code: str
    phone: str | None = None
    email: str | None = None
    active: bool = True


class WorkerUpdated(WorkerRegistered):
    pass
