"""Data minimisation (UU PDP): reporting keeps no NIK, phone number or e-mail address. Events of schema 1 from
before the registry stopped sending them may still carry board seats' NIK and phone, and worker events carry
the contacts notify needs; none of it is needed for projections, reports or the feed, so it is dropped before
an event is stored."""

from __future__ import annotations

from typing import Any

PERSONAL_KEYS = frozenset({"nik", "phone", "email"})


def without_personal_data(value: Any) -> Any:
    """The value with every ``nik``, ``phone`` and ``email`` key removed, at any depth."""
    if isinstance(value, dict):
        return {k: without_personal_data(v) for k, v in value.items() if k not in PERSONAL_KEYS}
    if isinstance(value, list):
        return [without_personal_data(v) for v in value]
    return value
