"""Regions asked for in a query: validated (422 when malformed or unknown), then either the region a roll-up is
read for (403 outside the caller's scope) or the narrowing of a list (``Caller.list_filter``: silently limited)."""

from __future__ import annotations

from pilar_runtime.auth import Caller
from pilar_runtime.regions import checked_region


def known_region(region: str | None, field: str = "region") -> str | None:
    """The dotted code of a region asked for; None when none (or "") is asked for."""
    return checked_region(region, field) if region else None


def region_of(caller: Caller, region: str | None, field: str = "region") -> str:
    """The region a roll-up is read for: the one asked for, inside the caller's scope, or the caller's own ('' stands
    for every region, for callers without a region scope)."""
    code = known_region(region, field)
    if code is None:
        return caller.region
    caller.require_region(code)
    return code
