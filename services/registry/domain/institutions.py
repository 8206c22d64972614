"""Institutions (WKSBM, Karang Taruna, Pokja, LKS, Orsos, pranata sosial): registration, kepengurusan,
formation (penumbuhan), status and duplicate names."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from contracts.catalogue import FORMED_EVENT_BY_KIND
from contracts.events.common import BoardMember, InstitutionKind, InstitutionStatus
from pilar_runtime.errors import Conflict, Unprocessable
from pilar_runtime.models import Command
from pilar_runtime.regions import in_region, normalize
from services.registry.domain.places import institution_region
from services.registry.domain.values import Name, Nik, PastDate, Phone, Ref, Topic

# "Kepengurusan yang lengkap": a complete board has at least these seats.
REQUIRED_ROLES = ("ketua", "sekretaris", "bendahara")


class BoardSeat(Command):
    role: str = Field(min_length=1, max_length=50, description="ketua, sekretaris, bendahara, wakil ketua, anggota…")
    name: Name
    nik: Nik | None = None
    phone: Phone | None = None

    @field_validator("role")
    @classmethod
    def _role(cls, value: str) -> str:
        return " ".join(value.lower().split())


def _single_seats(board: list[BoardSeat]) -> list[BoardSeat]:
    counts = Counter(seat.role for seat in board)
    doubled = [role for role in REQUIRED_ROLES if counts[role] > 1]
    if doubled:
        raise ValueError(f"board has more than one {', '.join(doubled)}")
    return board


class LegalBasisIn(Command):
    sk_number: str = Field(min_length=1, max_length=100, description="number of the SK (decree)")
    sk_date: PastDate


class InstitutionRegistration(Command):
    kind: InstitutionKind
    name: Name
    region_code: str = Field(description="a desa (or a kecamatan for LKS/Orsos), dotted or plain")
    address: str | None = Field(None, max_length=500)
    legal_basis: LegalBasisIn | None = None
    status: Literal[InstitutionStatus.INITIATED, InstitutionStatus.ACTIVE] = Field(
        InstitutionStatus.INITIATED,
        description="`initiated` while the penumbuhan runs; `active` for an institution that already exists",
    )
    board: list[BoardSeat] = Field(default_factory=list, max_length=100)
    member_ids: list[Ref] = Field(default_factory=list, max_length=500)
    issues: list[Topic] = Field(default_factory=list, max_length=20, description="Pokja: NAPZA, PORNOGRAFI, PMB…")
    allow_duplicate: bool = Field(False, description="register even when the same kind, name and desa exist")

    @field_validator("region_code")
    @classmethod
    def _region(cls, value: str, info: ValidationInfo) -> str:
        kind = info.data.get("kind")
        return institution_region(kind, value) if kind else normalize(value)

    _board = field_validator("board")(_single_seats)

    @field_validator("member_ids", "issues")
    @classmethod
    def _unique(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(values))


class InstitutionChanges(Command):
    """PATCH: the fields given are changed; `null` clears an optional one."""

    name: Name | None = None
    address: str | None = Field(None, max_length=500)
    legal_basis: LegalBasisIn | None = None
    status: Literal[InstitutionStatus.ACTIVE, InstitutionStatus.INACTIVE, InstitutionStatus.DISSOLVED] | None = None
    member_ids: list[Ref] | None = Field(None, max_length=500)
    issues: list[Topic] | None = Field(None, max_length=20)

    @model_validator(mode="after")
    def _something(self) -> InstitutionChanges:
        if not self.model_fields_set:
            raise ValueError("nothing to change: give at least one field")
        for required in ("name", "status", "member_ids", "issues"):
            if required in self.model_fields_set and getattr(self, required) is None:
                raise ValueError(f"{required} cannot be null")
        return self

    def given(self) -> dict[str, Any]:
        return self.model_dump(mode="json", include=self.model_fields_set)


class BoardReplacement(Command):
    board: list[BoardSeat] = Field(max_length=100)

    _board = field_validator("board")(_single_seats)


class Formation(Command):
    formed_on: PastDate
    session_id: Ref | None = Field(None, description="the outreach session that led to the formation")
    campaign_id: Ref | None = Field(None, description="the outreach campaign it belongs to")


# --- names ---------------------------------------------------------------------------------------------------

# Words operators put in front of a name that do not tell two institutions apart ("WKSBM Desa Kampung" is
# "Kampung"). Longest first, so "karang taruna unit" goes before "karang taruna".
_PREFIXES = sorted(
    [
        "wahana kesejahteraan sosial berbasis masyarakat",
        "wksbm",
        "karang taruna unit",
        "karang taruna",
        "kt",
        "pokja",
        "kelompok kerja",
        "lembaga kesejahteraan sosial",
        "lks",
        "organisasi sosial",
        "orsos",
        "desa",
        "kelurahan",
        "kel",
    ],
    key=len,
    reverse=True,
)


def name_key(name: str) -> str:
    """The form two names are compared in: case, accents, punctuation, spacing and common prefixes ignored."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())
    stripped = text
    changed = True
    while changed:
        changed = False
        for prefix in _PREFIXES:
            if stripped.startswith(prefix + " "):
                stripped = stripped[len(prefix) + 1 :]
                changed = True
                break
    return stripped or text


# --- kepengurusan and formation --------------------------------------------------------------------------------


def missing_roles(board: list[BoardMember] | list[BoardSeat]) -> list[str]:
    present = {seat.role for seat in board}
    return [role for role in REQUIRED_ROLES if role not in present]


@dataclass(frozen=True)
class MemberView:
    """What formation needs to know about a member institution."""

    id: str
    kind: str
    region_code: str
    status: str


def check_members(institution_id: str, kind: str, region_code: str, members: dict[str, MemberView | None]) -> None:
    """Member institutions exist, are not the institution itself or dissolved, and a WKSBM's lie in its desa."""
    problems: list[str] = []
    for member_id, member in members.items():
        if member is None:
            problems.append(f"member {member_id} does not exist")
        elif member_id == institution_id:
            problems.append(f"member {member_id} is the institution itself")
        elif member.status == InstitutionStatus.DISSOLVED:
            problems.append(f"member {member_id} is dissolved")
        elif kind == InstitutionKind.WKSBM and member.kind == InstitutionKind.WKSBM:
            problems.append(f"member {member_id} is a WKSBM; a WKSBM gathers pranata sosial and other bodies")
        elif kind == InstitutionKind.WKSBM and member.region_code != region_code:
            problems.append(f"member {member_id} lies in {member.region_code}, not in the WKSBM's desa {region_code}")
    if problems:
        raise Unprocessable({"message": "member_ids: " + "; ".join(problems), "field": "member_ids"})


def check_formation(kind: str, status: str, board: list[BoardMember], member_ids: list[str]) -> None:
    """Formation completes the penumbuhan of an `initiated` institution with a complete board; a WKSBM also
    needs at least one member institution (checked with ``check_members``)."""
    if status != InstitutionStatus.INITIATED:
        raise Conflict(f"formation: the institution is {status}, only an initiated institution can be formed")
    problems = []
    missing = missing_roles(board)
    if missing:
        problems.append(f"board is incomplete: missing {', '.join(missing)}")
    if kind == InstitutionKind.WKSBM and not member_ids:
        problems.append("a WKSBM needs at least one member institution (member_ids)")
    if problems:
        raise Unprocessable({"message": "formation: " + "; ".join(problems), "missing_roles": missing})


@dataclass(frozen=True)
class Cited:
    """What the registry knows of an outreach campaign or session a formation cites (from outreach's events)."""

    id: str
    region_code: str
    campaign_id: str | None = None  # a session's campaign


def check_citations(region_code: str, formation: Formation, campaign: Cited | None, session: Cited | None) -> None:
    """A formation cites only a campaign or session whose region holds the institution: otherwise another region's
    institutions could be counted in a campaign's progress. An id the registry has not learnt from outreach (yet)
    is refused too. Messages never name another region's codes."""
    problems: list[str] = []
    cited = (
        ("campaign", formation.campaign_id, campaign, "campaign_planned"),
        ("session", formation.session_id, session, "session_scheduled"),
    )
    for what, ref_id, known, source in cited:
        if not ref_id:
            continue
        if known is None:
            problems.append(
                f"{what}_id: {what} {ref_id} is not known yet (the registry learns {what}s from outreach's "
                f"{source}; try again shortly)"
            )
        elif not in_region(region_code, known.region_code):
            problems.append(f"{what}_id: {region_code} lies outside the region of {what} {ref_id}")
    if session is not None and formation.campaign_id and session.campaign_id != formation.campaign_id:
        problems.append(f"session_id: session {formation.session_id} is not a session of the cited campaign")
    if problems:
        field = "campaign_id" if problems[0].startswith("campaign_id") else "session_id"
        raise Unprocessable({"message": "formation: " + "; ".join(problems), "field": field})


def formed_event_type(kind: str) -> str | None:
    """`WKSBM_formed`, `Pokja_formed`, `KarangTaruna_formed`; other kinds only become active."""
    return FORMED_EVENT_BY_KIND.get(kind)


# Allowed status changes outside formation: initiated → active only happens by forming the institution.
_TRANSITIONS: dict[str, set[str]] = {
    InstitutionStatus.INITIATED: {InstitutionStatus.DISSOLVED},
    InstitutionStatus.ACTIVE: {InstitutionStatus.INACTIVE, InstitutionStatus.DISSOLVED},
    InstitutionStatus.INACTIVE: {InstitutionStatus.ACTIVE, InstitutionStatus.DISSOLVED},
    InstitutionStatus.DISSOLVED: set(),
}


def check_status_change(current: str, new: str) -> None:
    if new == current:
        return
    if new not in _TRANSITIONS[current]:
        hint = " (use POST /institutions/{id}/formation)" if current == InstitutionStatus.INITIATED else ""
        raise Conflict(f"status: an institution cannot go from {current} to {new}{hint}")


def check_changeable(status: str) -> None:
    if status == InstitutionStatus.DISSOLVED:
        raise Conflict("status: the institution is dissolved; it can no longer change")


# --- documents -------------------------------------------------------------------------------------------------


def new_institution(command: InstitutionRegistration, institution_id: str, actor: str, now: datetime) -> dict[str, Any]:
    data = command.model_dump(mode="json", exclude={"allow_duplicate"})
    key = name_key(command.name)
    document = {
        "_id": institution_id,
        **data,
        "formation": None,
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "created_by": actor,
        "_name_key": key,
    }
    if not command.allow_duplicate:
        document["_dup_key"] = duplicate_key(command.kind, command.region_code, key)
    return document


def duplicate_key(kind: str, region_code: str, key: str) -> str:
    return f"{kind}|{region_code}|{key}"


def board_members(board: list[dict[str, Any]]) -> list[BoardMember]:
    """The seats as events carry them: role and name, never the NIK or phone kept with them here."""
    return [BoardMember(role=seat["role"], name=seat["name"]) for seat in board]
