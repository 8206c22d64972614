"""When a campaign is complete, and what it achieved."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

SCHEDULED, HELD, CANCELLED = "scheduled", "held", "cancelled"


@dataclass(frozen=True)
class SessionOutcome:
    region_code: str
    status: str
    participants: int = 0
    by_category: Mapping[str, int] = field(default_factory=dict)


def all_sessions_done(outcomes: Iterable[SessionOutcome]) -> bool:
    """Every session held or cancelled (and there is at least one)."""
    statuses = [o.status for o in outcomes]
    return bool(statuses) and all(s in (HELD, CANCELLED) for s in statuses)


def campaign_totals(outcomes: Iterable[SessionOutcome]) -> dict[str, Any]:
    """The figures of ``campaign_completed``: sessions, participants reached, per desa and per category."""
    outcomes = list(outcomes)
    held = [o for o in outcomes if o.status == HELD]
    per_desa: dict[str, dict[str, int]] = {}
    by_category: Counter[str] = Counter()
    for o in held:
        desa = per_desa.setdefault(o.region_code, {"sessions_held": 0, "participants": 0})
        desa["sessions_held"] += 1
        desa["participants"] += o.participants
        by_category.update(o.by_category)
    return {
        "sessions_planned": len(outcomes),
        "sessions_held": len(held),
        "sessions_cancelled": sum(1 for o in outcomes if o.status == CANCELLED),
        "participants_reached": sum(o.participants for o in held),
        "per_desa": dict(sorted(per_desa.items())),
        "participants_by_category": dict(sorted(by_category.items())),
    }


def completion_reason(outcomes: Iterable[SessionOutcome], *, period_ended: bool) -> str | None:
    """Why a campaign completes now (``campaign_completed``'s reason), or None while it runs on."""
    if period_ended:
        return "period_ended"
    if all_sessions_done(outcomes):
        return "all_sessions_done"
    return None
