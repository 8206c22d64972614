"""The registry export (Ekspor Data Registri): every institution of a region as reporting knows it — status, legal
basis (SK), kepengurusan and member institutions — and the workers by role, for the Seksi PSKS/TKSM (seed 001:
"Data tersebut … untuk diserahkan kepada seksi yang menangani TKSM/PSKS").

Names and roles only: NIK, phone numbers and e-mail addresses stay in the registry.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

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


def institution_row(institution: Doc, complete: bool, name_of: RegionName) -> list[Cell]:
    """The institution's row; its member institutions' names are filled in once every institution is read."""
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
        yes_no(complete),
        int(institution.get("member_count", len(institution.get("member_ids", [])))),
    ]


def _owner(institution: Doc) -> list[Cell]:
    """The institution a board seat or a member belongs to: name, kind, region."""
    return [_text(institution.get("name")), jenis(institution.get("kind")), str(institution.get("region_code"))]


def board_rows(institution: Doc) -> list[list[Cell]]:
    """Every seat of the board, ketua, sekretaris and bendahara first."""

    def seat_order(seat: Doc) -> tuple[int, str, str]:
        role = str(seat.get("role", "")).lower()
        rank = BOARD_ROLES.index(role) if role in BOARD_ROLES else len(BOARD_ROLES)
        return (rank, role, str(seat.get("name")))

    owner = _owner(institution)
    return [
        [*owner, str(seat.get("role", "")).replace("_", " ").title(), _text(seat.get("name"))]
        for seat in sorted(institution.get("board", []), key=seat_order)
    ]


@dataclass(frozen=True)
class _Listed:
    """What the export keeps of one institution: its place in the order and its rows."""

    order: tuple[str, str, str, str]
    row: list[Cell]
    board: list[list[Cell]]
    owner: list[Cell]
    member_ids: list[str]


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


@dataclass
class RegistryExport:
    """The export built one record at a time: a province's tens of thousands of institutions are turned into their
    rows as they are read, and only the rows (and each institution's name and kind, for member lists) are kept —
    never the documents."""

    region_code: str
    name_of: RegionName
    institutions: list[_Listed] = field(default_factory=list)
    known: dict[str, tuple[str, str]] = field(default_factory=dict)  # id → (name, jenis) of the region's institutions
    by_kind: Counter[str] = field(default_factory=Counter)
    active: int = 0
    complete_boards: int = 0
    workers: list[tuple[tuple[str, str, str, str], list[Cell]]] = field(default_factory=list)
    workers_active: Counter[str] = field(default_factory=Counter)
    workers_inactive: Counter[str] = field(default_factory=Counter)

    def add_institution(self, institution: Doc) -> None:
        if not (lies_in(institution, self.region_code) and institution.get("kind")):
            return
        complete = board_complete(institution.get("board", []))
        kind = jenis(institution.get("kind"))
        self.by_kind[kind] += 1
        self.active += institution.get("status") == "active"
        self.complete_boards += complete
        self.known[str(institution["_id"])] = (_text(institution.get("name")), kind)
        listed = _Listed(
            _order(institution),
            institution_row(institution, complete, self.name_of),
            board_rows(institution),
            _owner(institution),
            [str(m) for m in institution.get("member_ids", [])],
        )
        self.institutions.append(listed)

    def add_worker(self, worker: Doc) -> None:
        if not (lies_in(worker, self.region_code) and worker.get("role")):
            return
        row = worker_row(worker, self.name_of)
        (self.workers_active if worker.get("active") else self.workers_inactive)[str(row[0])] += 1
        self.workers.append((_worker_order(worker), row))

    def _member_name(self, member: str) -> str:
        """A member institution by name where the export holds it (the same region), else by id."""
        return self.known[member][0] if member in self.known else member

    def _member_rows(self, listed: _Listed) -> list[list[Cell]]:
        members = sorted(listed.member_ids, key=lambda m: (self._member_name(m), m))
        return [[*listed.owner, self._member_name(m), self.known[m][1] if m in self.known else "-"] for m in members]

    def report(self, as_of: str) -> Report:
        region_code, name_of = self.region_code, self.name_of
        listed = sorted(self.institutions, key=lambda i: i.order)
        rows = [[*i.row, "; ".join(sorted(self._member_name(m) for m in i.member_ids)) or "-"] for i in listed]
        people = [row for _, row in sorted(self.workers, key=lambda w: w[0])]
        active, inactive = self.workers_active, self.workers_inactive
        roles = sorted(set(active) | set(inactive))
        kinds = sorted(self.by_kind)
        day = day_of(as_of, region_code)
        facts = RegistryFacts(
            region=wilayah(region_code, name_of),
            as_of=day,
            by_kind={kind: self.by_kind[kind] for kind in kinds},
            active=self.active,
            complete_boards=self.complete_boards,
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
                *((f"Lembaga {kind}", self.by_kind[kind]) for kind in kinds),
                ("Lembaga aktif", self.active),
                ("Kepengurusan lengkap", self.complete_boards),
                ("Pekerja aktif", sum(active.values())),
            ],
            narrative=registry_narrative(facts),
            district=district(region_code, name_of),
            tables=[
                Table("Lembaga", INSTITUTION_COLUMNS, rows),
                Table("Pengurus", BOARD_COLUMNS, [row for i in listed for row in i.board]),
                Table("Lembaga anggota", MEMBER_COLUMNS, [row for i in listed for row in self._member_rows(i)]),
                Table("Pekerja per peran", ROLE_COLUMNS, [[r, active[r], inactive[r]] for r in roles]),
                Table("Pekerja", WORKER_COLUMNS, people),
            ],
            chart=Chart("Lembaga per jenis", kinds, {"Lembaga": [self.by_kind[k] for k in kinds]}),
        )
