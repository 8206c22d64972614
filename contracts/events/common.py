"""Value types shared by several payloads."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class InstitutionKind(StrEnum):
    WKSBM = "WKSBM"
    KARANG_TARUNA = "KARANG_TARUNA"
    POKJA = "POKJA"
    LKS = "LKS"
    ORSOS = "ORSOS"
    PRANATA_SOSIAL = "PRANATA_SOSIAL"


class InstitutionStatus(StrEnum):
    INITIATED = "initiated"
    ACTIVE = "active"
    INACTIVE = "inactive"
    DISSOLVED = "dissolved"


class WorkerRole(StrEnum):
    PSM = "PSM"
    TKSK = "TKSK"
    PENYULUH_SOSIAL = "PENYULUH_SOSIAL"
    PENDAMPING_PKH = "PENDAMPING_PKH"
    NARASUMBER = "NARASUMBER"
    PETUGAS = "PETUGAS"


class SessionKind(StrEnum):
    PENYULUHAN = "penyuluhan"
    FGD = "FGD"


class Channel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"
    SMS = "sms"


class Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")


class BoardMember(Value):
    """One seat of a kepengurusan: role and name only. The seat holder's NIK and phone stay in the registry
    (data minimisation, UU PDP): no consumer needs them. Events of schema 1 from before may still carry them;
    readers ignore unknown fields."""

    role: str = Field(min_length=1, max_length=50, description="ketua, sekretaris, bendahara, anggota, …")
    name: str = Field(min_length=1, max_length=200)


class LegalBasis(Value):
    sk_number: str = Field(min_length=1, max_length=100)
    sk_date: date


class Followup(Value):
    followup_id: str
    action: str
    owner_id: str
    due_on: date


class Attendance(Value):
    total: int = Field(ge=0)
    by_category: dict[str, int] = Field(default_factory=dict)
