"""Personal data in reads (UU PDP): NIK, phone and e-mail show whole only to a writer of the record's region;
everyone else (viewers, integrations) sees them masked, enough to tell records apart and no more.

- NIK: the first 4 digits (province and kabupaten, public anyway) and the last 2: ``3403**********02``.
- phone: the last 3 digits: ``*********111``.
- e-mail: the first letter and the domain: ``s***@example.id``.
"""

from __future__ import annotations

from typing import Any


def mask_nik(nik: str) -> str:
    return nik[:4] + "*" * max(len(nik) - 6, 0) + nik[-2:] if len(nik) > 6 else "*" * len(nik)


def mask_phone(phone: str) -> str:
    return "*" * max(len(phone) - 3, 0) + phone[-3:]


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


# One mask for each kind of personal data a record holds (pilar_runtime.personal names them; a test holds both
# lists together).
MASKS = {"nik": mask_nik, "phone": mask_phone, "email": mask_email}


def _masked(record: dict[str, Any]) -> dict[str, Any]:
    return {k: MASKS[k](v) if k in MASKS and isinstance(v, str) and v else v for k, v in record.items()}


def masked(document: dict[str, Any]) -> dict[str, Any]:
    """A worker or institution with its own and its board seats' personal fields masked."""
    out = _masked(document)
    if isinstance(document.get("board"), list):
        out["board"] = [_masked(seat) for seat in document["board"]]
    return out
