"""What registry routes share: personal data as a reader may see it."""

from __future__ import annotations

from typing import Any

from pilar_runtime.auth import Caller
from pilar_runtime.models import public
from services.registry.domain.privacy import masked


def shown(caller: Caller, document: dict[str, Any]) -> dict[str, Any]:
    """The record as the caller may see it: NIK, phone and e-mail whole only for a writer of its region."""
    if caller.sees_personal_data(document["region_code"]):
        return public(document)
    return public(masked(document))
