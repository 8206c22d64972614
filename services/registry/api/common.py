"""What every registry route shares: region-scoped list filters, pages, time, personal data as a reader sees it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import HTTPException

from pilar_runtime.api import public
from pilar_runtime.auth import Caller, in_region, region_filter
from pilar_runtime.regions import normalize
from services.registry.domain.privacy import masked


def now() -> datetime:
    return datetime.now(UTC)


def scope_filter(caller: Caller, region: str | None) -> dict[str, Any]:
    """The caller's subtree, narrowed to ``region`` when asked; 403 for a region wholly outside the scope."""
    scope = caller.region_filter()
    if not region:
        return scope
    wanted = normalize(region)
    if not (caller.can_see(wanted) or in_region(caller.region, wanted)):
        raise HTTPException(403, f"region {wanted} is outside your scope ({caller.region or 'all'})")
    return {"$and": [scope, region_filter(wanted)]} if scope else region_filter(wanted)


def shown(caller: Caller, document: dict[str, Any]) -> dict[str, Any]:
    """The record as the caller may see it: NIK, phone and e-mail whole only for a writer of its region."""
    if caller.sees_personal_data(document["region_code"]):
        return public(document)
    return public(masked(document))
