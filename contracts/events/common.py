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


class ParticipantCategory(StrEnum):
    """Who comes to a penyuluhan or an FGD, as the Dinas Sosial counts them (seed 004's FGD gathered Forkopimda,
    DPRD, camat, kepala desa, Tagana, Sakti Peksos, ormas and the Relawan Muda Bondowoso)."""

    TOKOH_MASYARAKAT = "tokoh_masyarakat"
    TOKOH_AGAMA = "tokoh_agama"
    PERANGKAT_DESA = "perangkat_desa"
    PENDAMPING_PKH = "pendamping_pkh"
    KADER = "kader"
    TKSK = "tksk"
    PSM = "psm"
    FORKOPIMDA = "forkopimda"
    DPRD = "dprd"
    CAMAT = "camat"
    KEPALA_DESA = "kepala_desa"
    TAGANA = "tagana"
    SAKTI_PEKSOS = "sakti_peksos"
    ORMAS = "ormas"
    RMB = "rmb"
    LAINNYA = "lainnya"


# How reports and the dashboard name each category, in this order.
# How the office names each kind, status and role in its documents.
INSTITUTION_KIND_LABELS: dict[str, str] = {
    InstitutionKind.WKSBM: "WKSBM",
    InstitutionKind.KARANG_TARUNA: "Karang Taruna",
    InstitutionKind.POKJA: "Pokja",
    InstitutionKind.LKS: "LKS",
    InstitutionKind.ORSOS: "Orsos",
    InstitutionKind.PRANATA_SOSIAL: "Pranata Sosial",
}
INSTITUTION_STATUS_LABELS: dict[str, str] = {
    InstitutionStatus.INITIATED: "Rintisan",
    InstitutionStatus.ACTIVE: "Aktif",
    InstitutionStatus.INACTIVE: "Tidak aktif",
    InstitutionStatus.DISSOLVED: "Bubar",
}
WORKER_ROLE_LABELS: dict[str, str] = {
    WorkerRole.PSM: "PSM",
    WorkerRole.TKSK: "TKSK",
    WorkerRole.PENYULUH_SOSIAL: "Penyuluh Sosial",
    WorkerRole.PENDAMPING_PKH: "Pendamping PKH",
    WorkerRole.NARASUMBER: "Narasumber",
    WorkerRole.PETUGAS: "Petugas",
}

PARTICIPANT_CATEGORY_LABELS: dict[str, str] = {
    ParticipantCategory.TOKOH_MASYARAKAT: "Tokoh masyarakat",
    ParticipantCategory.TOKOH_AGAMA: "Tokoh agama",
    ParticipantCategory.PERANGKAT_DESA: "Perangkat desa",
    ParticipantCategory.PENDAMPING_PKH: "Pendamping PKH",
    ParticipantCategory.KADER: "Kader",
    ParticipantCategory.TKSK: "TKSK",
    ParticipantCategory.PSM: "PSM",
    ParticipantCategory.FORKOPIMDA: "Forkopimda",
    ParticipantCategory.DPRD: "DPRD",
    ParticipantCategory.CAMAT: "Camat",
    ParticipantCategory.KEPALA_DESA: "Kepala desa",
    ParticipantCategory.TAGANA: "Tagana",
    ParticipantCategory.SAKTI_PEKSOS: "Sakti Peksos",
    ParticipantCategory.ORMAS: "Ormas",
    ParticipantCategory.RMB: "RMB (Relawan Muda Bondowoso)",
    ParticipantCategory.LAINNYA: "Lainnya",
}


def participant_category_label(category: str) -> str:
    """The Indonesian label of a category; older events may spell one with spaces ("tokoh masyarakat"), and a
    category this table does not know is shown as it came."""
    return PARTICIPANT_CATEGORY_LABELS.get(category.strip().lower().replace(" ", "_"), category)


def participant_category_order(category: str) -> tuple[int, str]:
    """Known categories in the table's order, then the others by name."""
    keys = list(PARTICIPANT_CATEGORY_LABELS)
    key = category.strip().lower().replace(" ", "_")
    return (keys.index(key), "") if key in PARTICIPANT_CATEGORY_LABELS else (len(keys), category)


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


class Attendee(Value):
    """One line of a daftar hadir: who signed, as what, from where. Names only: no NIK, no phone number."""

    name: str = Field(min_length=1, max_length=200)
    category: str = Field(description="a participant category (see Attendance.by_category)")
    institution: str | None = Field(default=None, max_length=200, description="lembaga / instansi")
    desa_code: str | None = Field(default=None, description="the attendee's desa")


class Attendance(Value):
    total: int = Field(ge=0)
    by_category: dict[str, int] = Field(
        default_factory=dict,
        description="participants per category: " + ", ".join(c.value for c in ParticipantCategory),
    )
