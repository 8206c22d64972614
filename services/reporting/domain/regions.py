"""Region names as the reports and the dashboard show them (Kemendagri reference data, in memory)."""

from __future__ import annotations

from functools import lru_cache

from pilar_runtime.regions import RegionError, children, lookup


@lru_cache(maxsize=4096)
def region_name(code: str) -> str:
    """The region's name; "" for a code the reference does not hold."""
    try:
        found = lookup(code)
    except RegionError:
        return ""
    return found.name if found else ""


@lru_cache(maxsize=1024)
def child_regions(code: str) -> tuple[tuple[str, str], ...]:
    """The regions one level below ``code`` ("" = the provinces) as (code, name), in code order; none below a desa."""
    try:
        return tuple((r.code, r.name) for r in children(code or None))
    except RegionError:
        return ()
