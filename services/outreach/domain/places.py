"""Where outreach happens, checked against the Kemendagri codes: a bad code is a 422 naming the field."""

from __future__ import annotations

from collections.abc import Iterable

from pilar_runtime.regions import Level, checked_region


def session_region(code: str, kind: str, field: str = "region_code") -> str:
    # A penyuluhan happens in a desa; an FGD may gather a whole kecamatan or kabupaten (seed 004: a hotel ballroom).
    levels = (Level.DESA,) if kind == "penyuluhan" else (Level.KABUPATEN, Level.KECAMATAN, Level.DESA)
    return checked_region(code, field, *levels)


def unique(ids: Iterable[str]) -> list[str]:
    """The ids in the order given, each once."""
    return list(dict.fromkeys(ids))
