"""Import rows (one CSV/XLSX line each) → registration commands, or the row's errors by column.

Columns (header row, case-insensitive; order free):
- institutions: kind, name, region_code (required); address, status (initiated|active), sk_number, sk_date,
  issues (separated by ';'), and for each of ketua, sekretaris, bendahara: <role>, <role>_nik, <role>_phone.
- workers: role, name, region_code (required); nik, phone, email, active (true/false, ya/tidak, 1/0).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from services.registry.domain.institutions import REQUIRED_ROLES, InstitutionRegistration
from services.registry.domain.workers import WorkerRegistration

M = TypeVar("M", bound=BaseModel)


class ImportKind(StrEnum):
    INSTITUTIONS = "institutions"
    WORKERS = "workers"


_BOARD_COLUMNS = tuple(f"{role}{suffix}" for role in REQUIRED_ROLES for suffix in ("", "_nik", "_phone"))
REQUIRED_COLUMNS: dict[ImportKind, tuple[str, ...]] = {
    ImportKind.INSTITUTIONS: ("kind", "name", "region_code"),
    ImportKind.WORKERS: ("role", "name", "region_code"),
}
OPTIONAL_COLUMNS: dict[ImportKind, tuple[str, ...]] = {
    ImportKind.INSTITUTIONS: ("address", "status", "sk_number", "sk_date", "issues", *_BOARD_COLUMNS),
    ImportKind.WORKERS: ("nik", "phone", "email", "active"),
}
MAX_ROWS = 50_000


class FileError(ValueError):
    """The file as a whole cannot be imported (format, header): answered at once with a 422."""


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": self.message}


def column_name(header: object) -> str:
    return "_".join(str(header or "").strip().lower().split())


def check_header(kind: ImportKind, header: list[str]) -> list[str]:
    """The header's column names; FileError naming missing, unknown or repeated columns."""
    columns = [column_name(h) for h in header]
    known = set(REQUIRED_COLUMNS[kind]) | set(OPTIONAL_COLUMNS[kind])
    problems = []
    missing = [c for c in REQUIRED_COLUMNS[kind] if c not in columns]
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    unknown = [c or "(empty)" for c in columns if c not in known]
    if unknown:
        problems.append(f"unknown column(s): {', '.join(unknown)}")
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        problems.append(f"repeated column(s): {', '.join(repeated)}")
    if problems:
        raise FileError(f"{kind} file header: " + "; ".join(problems))
    return columns


_TRUE = {"true", "ya", "y", "yes", "1", "aktif"}
_FALSE = {"false", "tidak", "t", "no", "n", "0", "nonaktif", "tidak aktif"}


def institution_from_row(values: dict[str, str]) -> InstitutionRegistration:
    """Raises RowProblems with the errors of this row."""
    data: dict[str, Any] = {k: values[k] for k in ("kind", "name", "region_code", "address", "status") if values.get(k)}
    if values.get("sk_number") or values.get("sk_date"):
        data["legal_basis"] = {"sk_number": values.get("sk_number", ""), "sk_date": values.get("sk_date", "")}
    if values.get("issues"):
        data["issues"] = [part for part in values["issues"].split(";") if part.strip()]
    seats = [role for role in REQUIRED_ROLES if values.get(role)]
    data["board"] = [
        {
            "role": role,
            "name": values[role],
            **({"nik": values[f"{role}_nik"]} if values.get(f"{role}_nik") else {}),
            **({"phone": values[f"{role}_phone"]} if values.get(f"{role}_phone") else {}),
        }
        for role in seats
    ]
    orphans = [f"{role}{suffix}" for role in REQUIRED_ROLES if role not in seats for suffix in ("_nik", "_phone")]
    problems = [(c, f"{c} is given but the {c.split('_')[0]} name is empty") for c in orphans if values.get(c)]
    return _validate(InstitutionRegistration, data, lambda loc: _institution_field(loc, seats), problems)


def worker_from_row(values: dict[str, str]) -> WorkerRegistration:
    data: dict[str, Any] = {
        k: values[k] for k in ("role", "name", "region_code", "nik", "phone", "email") if values.get(k)
    }
    problems: list[tuple[str, str]] = []
    active = values.get("active", "").strip().lower()
    if active in _TRUE:
        data["active"] = True
    elif active in _FALSE:
        data["active"] = False
    elif active:
        problems.append(("active", "active must be true/false (ya/tidak, 1/0)"))
    return _validate(WorkerRegistration, data, lambda loc: str(loc[0]) if loc else "row", problems)


class RowProblems(Exception):
    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(problems)
        self.problems = problems


def _institution_field(loc: tuple[int | str, ...], seats: list[str]) -> str:
    if not loc:
        return "row"
    if loc[0] == "board" and len(loc) > 1 and isinstance(loc[1], int):
        role = seats[loc[1]]
        return f"{role}_{loc[2]}" if len(loc) > 2 and loc[2] != "name" else role
    if loc[0] == "legal_basis":
        return str(loc[1]) if len(loc) > 1 else "sk_number"
    return str(loc[0])


def _validate(
    model: type[M],
    data: dict[str, Any],
    field_of: Callable[[tuple[int | str, ...]], str],
    problems: list[tuple[str, str]],
) -> M:
    try:
        command = model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors(include_input=False, include_url=False):
            message = error["msg"].removeprefix("Value error, ")
            problems.append((field_of(tuple(error["loc"])), message))
    if problems:
        raise RowProblems(problems)
    return command
