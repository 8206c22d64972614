"""What every list shares: the caller's region scope, an optional narrower region, pages of ``{items, total}``."""

from __future__ import annotations

from typing import Any

from pilar_runtime.auth import Caller, region_filter
from pilar_runtime.errors import Unprocessable
from pilar_runtime.regions import RegionError, normalize


def region_scope(caller: Caller, region: str | None) -> dict[str, Any]:
    """The caller's subtree, narrowed to ``region`` when given (a region outside the scope simply matches nothing)."""
    clauses = [caller.region_filter("region_code")]
    if region:
        try:
            clauses.append(region_filter(normalize(region), "region_code"))
        except RegionError as exc:
            raise Unprocessable(f"region: {exc}") from exc
    clauses = [c for c in clauses if c]
    return {"$and": clauses} if clauses else {}
