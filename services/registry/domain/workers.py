"""Workers (PSKS people: PSM, TKSK, penyuluh sosial, pendamping PKH, narasumber, petugas)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, ValidationInfo, field_validator, model_validator

from contracts.events.common import WorkerRole
from pilar_runtime.models import Command
from pilar_runtime.regions import normalize
from services.registry.domain.places import worker_region
from services.registry.domain.values import Email, Name, Nik, Phone


class WorkerRegistration(Command):
    role: WorkerRole
    name: Name
    region_code: str = Field(
        description="where the worker serves: a kecamatan for a TKSK, a desa or kecamatan for a PSM"
    )
    nik: Nik | None = None
    phone: Phone | None = None
    email: Email | None = None
    active: bool = True

    @field_validator("region_code")
    @classmethod
    def _region(cls, value: str, info: ValidationInfo) -> str:
        role = info.data.get("role")
        return worker_region(role, value) if role else normalize(value)


class WorkerChanges(Command):
    """PATCH: the fields given are changed; `null` clears nik, phone or email."""

    role: WorkerRole | None = None
    name: Name | None = None
    region_code: str | None = None
    nik: Nik | None = None
    phone: Phone | None = None
    email: Email | None = None
    active: bool | None = None

    @field_validator("region_code")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        return normalize(value) if value is not None else None

    @model_validator(mode="after")
    def _something(self) -> WorkerChanges:
        if not self.model_fields_set:
            raise ValueError("nothing to change: give at least one field")
        for required in ("role", "name", "region_code", "active"):
            if required in self.model_fields_set and getattr(self, required) is None:
                raise ValueError(f"{required} cannot be null")
        return self


def apply_changes(current: dict[str, Any], changes: WorkerChanges) -> dict[str, Any]:
    """The worker's fields after the change; the region is re-checked against the (possibly new) role."""
    updated = {**current, **changes.model_dump(mode="json", include=changes.model_fields_set)}
    updated["region_code"] = worker_region(updated["role"], updated["region_code"])
    return updated


def new_worker(command: WorkerRegistration, worker_id: str, actor: str, now: datetime) -> dict[str, Any]:
    document = {
        "_id": worker_id,
        **command.model_dump(mode="json"),
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "created_by": actor,
    }
    return with_nik_key(document)


def with_nik_key(document: dict[str, Any]) -> dict[str, Any]:
    """One worker per NIK: the unique index is sparse, so the key is only present when a NIK is."""
    document = {k: v for k, v in document.items() if k != "_nik_key"}
    if document.get("nik"):
        document["_nik_key"] = document["nik"]
    return document
