"""The region a read is about: the one asked for (validated, inside the caller's scope) or the caller's own."""

from __future__ import annotations

from pilar_runtime.auth import Caller
from pilar_runtime.errors import Unprocessable
from pilar_runtime.regions import RegionError, require


def region_of(caller: Caller, region: str | None, field: str = "region") -> str:
    """'' stands for every region (callers without a region scope)."""
    if region is None or region == "":
        return caller.region
    try:
        code = require(region)
    except RegionError as exc:
        raise Unprocessable(f"{field}: {exc}") from exc
    caller.require_region(code)
    return code
