"""Data minimisation (UU PDP): the personal keys events may carry, and a copy of a value without them.

Events carry no NIK, and worker events carry the phone and e-mail notify needs to invite and remind people. Any
copy that leaves for a reader who does not need them — reporting's stored events and feed, a district system's
webhook — goes through `without_personal_data`.
"""

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
