"""Community regulations: rules a village adopts (prevention of NAPZA, pornography, PMB…)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, field_validator

from contracts.events.common import InstitutionKind
from pilar_runtime.errors import Unprocessable
from pilar_runtime.models import Command
from pilar_runtime.regions import Level, require
from services.registry.domain.institutions import MemberView
from services.registry.domain.values import PastDate, Ref, Topic


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
        "version": 1,
        "created_at": now,
        "created_by": actor,
    }
