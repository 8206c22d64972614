"""Institutions as the reports list them: kind, name, desa, formation date and the kepengurusan."""

from __future__ import annotations

from collections.abc import Iterable

from services.reporting.reports.labels import jenis
from services.reporting.reports.model import Cell, Doc, RegionName

BOARD_ROLES = ("ketua", "sekretaris", "bendahara")
FORMED_COLUMNS = ["Jenis", "Nama", "Kode wilayah", "Desa", "Tanggal terbentuk", "Ketua", "Sekretaris", "Bendahara"]


def board_seat(board: Iterable[Doc], role: str) -> str:
    return ", ".join(sorted(str(m["name"]) for m in board if str(m.get("role", "")).lower() == role))


def board_others(board: Iterable[Doc]) -> str:
    others = [m for m in board if str(m.get("role", "")).lower() not in BOARD_ROLES]
    return "; ".join(sorted(f"{m.get('role')}: {m.get('name')}" for m in others))


def board_complete(board: Iterable[Doc]) -> bool:
    roles = {str(m.get("role", "")).lower() for m in board}
    return all(role in roles for role in BOARD_ROLES)


def formed_row(institution: Doc, name_of: RegionName) -> list[Cell]:
    board = institution.get("board", [])
    code = str(institution.get("region_code"))
    return [
        jenis(institution.get("kind")),
        str(institution.get("name")),
        code,
        name_of(code),
        str(institution.get("formed_on")),
        *(board_seat(board, role) for role in BOARD_ROLES),
    ]


def formed_order(institution: Doc) -> tuple[str, str, str, str]:
    return (
        str(institution.get("formed_on")),
        str(institution.get("region_code")),
        str(institution.get("name")),
        str(institution["_id"]),
    )
