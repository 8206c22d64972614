"""Region names as the reports and the dashboard show them (Kemendagri reference data, in memory)."""

from __future__ import annotations

from functools import lru_cache

from pilar_runtime.regions import RegionError, lookup


@lru_cache(maxsize=4096)
def region_name(code: str) -> str:
    """The region's name; "" for a code the reference does not hold."""
    try:
        found = lookup(code)
    except RegionError:
        return ""
    return found.name if found else ""
