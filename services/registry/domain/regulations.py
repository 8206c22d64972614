"""Community regulations: rules a village adopts (prevention of NAPZA, pornography, PMB…)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import Field, field_validator, model_validator

from contracts.events.common import InstitutionKind
from pilar_runtime.errors import Conflict, Unprocessable
from pilar_runtime.models import Command
from pilar_runtime.regions import Level, require
from services.registry.domain.institutions import MemberView
from services.registry.domain.values import PastDate, Ref, Topic


class RegulationStatus(StrEnum):
    IN_FORCE = "in_force"
    REVOKED = "revoked"


class RegulationAdoption(Command):
    region_code: str = Field(description="the desa that adopted it")
    title: str = Field(min_length=1, max_length=300)
    topics: list[Topic] = Field(min_length=1, max_length=20, description="NAPZA, PORNOGRAFI, PMB, …")
    adopted_on: PastDate
    pokja_id: Ref | None = Field(None, description="the village Pokja that drafted it, if any")
    description: str | None = Field(None, max_length=5000)

    @field_validator("region_code")
    @classmethod
    def _desa(cls, value: str) -> str:
        return require(value, Level.DESA)

    @field_validator("topics")
    @classmethod
    def _unique(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(values))


class RegulationChanges(Command):
    """PATCH: the fields given are corrected; `null` clears an optional one. The desa stays: a regulation of
    another desa is another regulation."""

    title: str | None = Field(None, min_length=1, max_length=300)
    topics: list[Topic] | None = Field(None, min_length=1, max_length=20)
    adopted_on: PastDate | None = None
    pokja_id: Ref | None = None
    description: str | None = Field(None, max_length=5000)
    reason: str | None = Field(None, max_length=1000, description="why it is corrected (kept with the event)")

    @model_validator(mode="after")
    def _something(self) -> RegulationChanges:
        if not self.model_fields_set - {"reason"}:
            raise ValueError("nothing to change: give at least one field besides reason")
        for required in ("title", "topics", "adopted_on"):
            if required in self.model_fields_set and getattr(self, required) is None:
                raise ValueError(f"{required} cannot be null")
        return self

    @field_validator("topics")
    @classmethod
    def _unique(cls, values: list[str] | None) -> list[str] | None:
        return list(dict.fromkeys(values)) if values is not None else None

    def given(self) -> dict[str, Any]:
        return self.model_dump(mode="json", include=self.model_fields_set - {"reason"})


class RegulationRevocation(Command):
    revoked_on: PastDate = Field(description="from this day the regulation is no longer in force")
    reason: str = Field(min_length=1, max_length=1000, description="why it was revoked (e.g. replaced by a Perdes)")


def check_in_force(regulation: dict[str, Any]) -> None:
    """A revoked regulation stays on record as it was: it is neither corrected nor revoked again."""
    if regulation.get("status", RegulationStatus.IN_FORCE) == RegulationStatus.REVOKED:
        raise Conflict(
            {"rule": "regulation_revoked", "message": "the community regulation was revoked; it no longer changes"}
        )


def corrected(current: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """The fields that really change (an unchanged value is no correction)."""
    return {k: v for k, v in given.items() if current.get(k) != v}


def check_revocation(adopted_on: str, revoked_on: date) -> None:
    if revoked_on < date.fromisoformat(adopted_on):
        raise Unprocessable(f"revoked_on: {revoked_on.isoformat()} is before the adoption on {adopted_on}")


def check_pokja(pokja_id: str, pokja: MemberView | None, region_code: str) -> None:
    if pokja is None:
        raise Unprocessable(f"pokja_id: institution {pokja_id} does not exist")
    if pokja.kind != InstitutionKind.POKJA:
        raise Unprocessable(f"pokja_id: institution {pokja_id} is a {pokja.kind}, not a POKJA")
    if pokja.region_code != region_code:
        raise Unprocessable(f"pokja_id: the Pokja lies in {pokja.region_code}, not in {region_code}")


def new_regulation(command: RegulationAdoption, regulation_id: str, actor: str, now: datetime) -> dict[str, Any]:
    return {
        "_id": regulation_id,
        **command.model_dump(mode="json"),
        "status": RegulationStatus.IN_FORCE.value,
        "version": 1,
        "created_at": now,
        "created_by": actor,
    }
