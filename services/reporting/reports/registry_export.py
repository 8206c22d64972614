"""The registry export (Ekspor Data Registri): every institution of a region as reporting knows it — status, legal
basis (SK), kepengurusan and member institutions — and the workers by role, for the Seksi PSKS/TKSM (seed 001:
"Data tersebut … untuk diserahkan kepada seksi yang menangani TKSM/PSKS").

Names and roles only: NIK, phone numbers and e-mail addresses stay in the registry.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from services.reporting.reports.boards import BOARD_ROLES, board_complete, board_others, board_seat
from services.reporting.reports.labels import institution_status, jenis, peran
from services.reporting.reports.model import Cell, Chart, Doc, RegionName, Report, Table, day_of, lies_in, yes_no
from services.reporting.reports.narrative.region import RegistryFacts, registry_narrative
from services.reporting.reports.prose import district, wilayah

INSTITUTION_COLUMNS = [
    "Jenis", "Nama", "Kode wilayah", "Desa/Kelurahan", "Alamat", "Status", "Nomor SK", "Tanggal SK",
    "Tanggal terbentuk", "Ketua", "Sekretaris", "Bendahara", "Pengurus lain", "Kepengurusan lengkap",
    "Jumlah lembaga anggota", "Lembaga anggota",
]  # fmt: skip
BOARD_COLUMNS = ["Lembaga", "Jenis", "Kode wilayah", "Jabatan", "Nama"]
MEMBER_COLUMNS = ["Lembaga", "Jenis", "Kode wilayah", "Lembaga anggota", "Jenis anggota"]
WORKER_COLUMNS = ["Peran", "Nama", "Kode wilayah", "Wilayah", "Aktif"]
ROLE_COLUMNS = ["Peran", "Aktif", "Tidak aktif"]


def _text(value: object) -> str:
    return "-" if value in (None, "") else str(value)


def _order(institution: Doc) -> tuple[str, str, str, str]:
    kind, code, name = jenis(institution.get("kind")), str(institution.get("region_code")), institution.get("name")
    return (kind, code, _text(name), str(institution["_id"]))


def _member_names(institution: Doc, by_id: Mapping[str, Doc]) -> str:
    """Member institutions by name where the export holds them (the same region), else by id."""
    return "; ".join(
        sorted(_text(by_id[m].get("name")) if m in by_id else str(m) for m in institution.get("member_ids", []))
    )


def institution_row(institution: Doc, by_id: Mapping[str, Doc], name_of: RegionName) -> list[Cell]:
    board = institution.get("board", [])
    basis = institution.get("legal_basis") or {}
    code = str(institution.get("region_code"))
    return [
        jenis(institution.get("kind")),
        _text(institution.get("name")),
        code,
        name_of(code),
        _text(institution.get("address")),
        institution_status(institution.get("status")),
        _text(basis.get("sk_number")),
        _text(basis.get("sk_date")),
        _text(institution.get("formed_on")),
        *(board_seat(board, role) or "-" for role in BOARD_ROLES),
        board_others(board) or "-",
        yes_no(board_complete(board)),
        int(institution.get("member_count", len(institution.get("member_ids", [])))),
        _member_names(institution, by_id) or "-",
    ]


def _owner(institution: Doc) -> list[Cell]:
    """The institution a board seat or a member belongs to: name, kind, region."""
    return [_text(institution.get("name")), jenis(institution.get("kind")), str(institution.get("region_code"))]


def board_rows(institutions: Iterable[Doc]) -> list[list[Cell]]:
    """Every seat of every board, ketua, sekretaris and bendahara first."""

    def seat_order(seat: Doc) -> tuple[int, str, str]:
        role = str(seat.get("role", "")).lower()
        rank = BOARD_ROLES.index(role) if role in BOARD_ROLES else len(BOARD_ROLES)
        return (rank, role, str(seat.get("name")))

    return [
        [*_owner(i), str(seat.get("role", "")).replace("_", " ").title(), _text(seat.get("name"))]
        for i in institutions
        for seat in sorted(i.get("board", []), key=seat_order)
    ]


def member_rows(institutions: Iterable[Doc], by_id: Mapping[str, Doc]) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for i in institutions:
        members = sorted(i.get("member_ids", []), key=lambda m: (_text(by_id.get(m, {}).get("name", m)), m))
        for member in members:
            known = by_id.get(member, {})
            rows.append([*_owner(i), _text(known.get("name", member)), jenis(known.get("kind")) if known else "-"])
    return rows


def _worker_order(worker: Doc) -> tuple[str, str, str, str]:
    role = str(worker.get("role"))
    return (
        peran(role),
        str(worker.get("region_code")),
        _text(worker.get("name")),
        str(worker["_id"]),
    )


def worker_row(worker: Doc, name_of: RegionName) -> list[Cell]:
    code = str(worker.get("region_code"))
    role = str(worker.get("role"))
    return [
        peran(role),
        _text(worker.get("name")),
        code,
        name_of(code),
        yes_no(bool(worker.get("active"))),
    ]


def registry_export(
    region_code: str, institutions: Iterable[Doc], workers: Iterable[Doc], name_of: RegionName, as_of: str
) -> Report:
    listed = sorted((i for i in institutions if lies_in(i, region_code) and i.get("kind")), key=_order)
    people = sorted((w for w in workers if lies_in(w, region_code) and w.get("role")), key=_worker_order)
    by_id = {str(i["_id"]): i for i in listed}
    by_kind = Counter(jenis(i.get("kind")) for i in listed)
    active = Counter(peran(str(w["role"])) for w in people if w.get("active"))
    inactive = Counter(peran(str(w["role"])) for w in people if not w.get("active"))
    roles = sorted(set(active) | set(inactive))
    kinds = sorted(by_kind)
    day = day_of(as_of, region_code)
    facts = RegistryFacts(
        region=wilayah(region_code, name_of),
        as_of=day,
        by_kind={kind: by_kind[kind] for kind in kinds},
        active=sum(1 for i in listed if i.get("status") == "active"),
        complete_boards=sum(1 for i in listed if board_complete(i.get("board", []))),
        workers_by_role={role: active[role] for role in roles if active[role]},
    )
    return Report(
        kind="registry_export",
        title=f"Ekspor Data Registri: {name_of(region_code)}",
        region_code=region_code,
        period_start=None,
        period_end=None,
        as_of=as_of,
        meta=[
            ("Wilayah", f"{region_code} {name_of(region_code)}"),
            ("Per tanggal", day.isoformat()),
            ("Lembaga", len(listed)),
            *((f"Lembaga {kind}", by_kind[kind]) for kind in kinds),
            ("Lembaga aktif", sum(1 for i in listed if i.get("status") == "active")),
            ("Kepengurusan lengkap", sum(1 for i in listed if board_complete(i.get("board", [])))),
            ("Pekerja aktif", sum(active.values())),
        ],
        narrative=registry_narrative(facts),
        district=district(region_code, name_of),
        tables=[
            Table("Lembaga", INSTITUTION_COLUMNS, [institution_row(i, by_id, name_of) for i in listed]),
            Table("Pengurus", BOARD_COLUMNS, board_rows(listed)),
            Table("Lembaga anggota", MEMBER_COLUMNS, member_rows(listed, by_id)),
            Table("Pekerja per peran", ROLE_COLUMNS, [[r, active[r], inactive[r]] for r in roles]),
            Table("Pekerja", WORKER_COLUMNS, [worker_row(w, name_of) for w in people]),
        ],
        chart=Chart("Lembaga per jenis", kinds, {"Lembaga": [by_kind[k] for k in kinds]}),
    )
