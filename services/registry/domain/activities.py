"""Activities of an institution after its formation (seeds 001–003): pelatihan of its board, pendampingan, monev,
revitalisasi of a Karang Taruna."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from contracts.events.common import InstitutionStatus
from contracts.events.registry import ActivityKind
from pilar_runtime.errors import Conflict
from pilar_runtime.models import Command
from services.registry.domain.values import PastDate


class ActivityRecord(Command):
    kind: ActivityKind = Field(description="pelatihan, pendampingan, monev or revitalisasi")
    date: PastDate = Field(description="the day it took place (not in the future)")
    participants: int = Field(ge=0, le=100_000, description="how many took part (a count: no names)")
    notes: str | None = Field(default=None, max_length=2000, description="what was done, agreed or found")


def check_recordable(status: str) -> None:
    """A dissolved institution has no more activities; an initiated one may already be trained before it is formed."""
    if status == InstitutionStatus.DISSOLVED:
        raise Conflict(
            {"rule": "institution_dissolved", "message": "the institution is dissolved; no activity can be recorded"}
        )


def new_activity(
    record: ActivityRecord, activity_id: str, institution: dict[str, Any], actor: str, now: datetime
) -> dict[str, Any]:
    """The stored activity: it carries the institution's region so that lists are scoped like the institution."""
    return {
        "_id": activity_id,
        "institution_id": institution["_id"],
        "institution_kind": institution["kind"],
        "region_code": institution["region_code"],
        "kind": record.kind.value,
        "date": record.date.isoformat(),
        "participants": record.participants,
        "notes": record.notes,
        "recorded_by": actor,
        "created_at": now,
    }
