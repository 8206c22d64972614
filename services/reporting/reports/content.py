"""What goes into each report, as plain data: pure functions of the projections' documents.

Everything is sorted and every timestamp comes from the events, so the same inputs give the same report.
Headings are in Indonesian: the operators read these reports as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pilar_runtime.regions import is_within
from services.reporting.domain.summary import campaign_progress, formed_in_campaign

Doc = Mapping[str, Any]
Cell = str | int | float
KINDS = ("campaign", "psks_handover", "monthly_district")
BOARD_ROLES = ("ketua", "sekretaris", "bendahara")


@dataclass(frozen=True)
class Table:
    name: str  # also the XLSX sheet name (≤ 31 characters)
    columns: list[str]
    rows: list[list[Cell]]


@dataclass(frozen=True)
class Chart:
    title: str
    labels: list[str]
    series: dict[str, list[int]]


@dataclass(frozen=True)
class Report:
    kind: str
    title: str
    region_code: str
    period_start: date | None
    period_end: date | None
    as_of: str  # the time of the newest fact the report reflects, ISO 8601
    meta: list[tuple[str, Cell]]
    tables: list[Table] = field(default_factory=list)
    chart: Chart | None = None


RegionName = Callable[[str], str]


def _yes(flag: bool | None) -> str:
    return "-" if flag is None else ("Ya" if flag else "Tidak")


def board_seat(board: Iterable[Doc], role: str) -> str:
    return ", ".join(sorted(str(m["name"]) for m in board if str(m.get("role", "")).lower() == role))


def board_others(board: Iterable[Doc]) -> str:
    others = [m for m in board if str(m.get("role", "")).lower() not in BOARD_ROLES]
    return "; ".join(sorted(f"{m.get('role')}: {m.get('name')}" for m in others))


def board_complete(board: Iterable[Doc]) -> bool:
    roles = {str(m.get("role", "")).lower() for m in board}
    return all(role in roles for role in BOARD_ROLES)


def in_region(record: Doc, region_code: str) -> bool:
    """A report shows its subject's region subtree only, whatever records it is given."""
    return is_within(str(record.get("region_code")), region_code)


def _formed_row(i: Doc, name_of: RegionName) -> list[Cell]:
    board = i.get("board", [])
    return [
        str(i.get("kind")),
        str(i.get("name")),
        str(i.get("region_code")),
        name_of(str(i.get("region_code"))),
        str(i.get("formed_on")),
        board_seat(board, "ketua"),
        board_seat(board, "sekretaris"),
        board_seat(board, "bendahara"),
    ]


FORMED_COLUMNS = ["Jenis", "Nama", "Kode wilayah", "Desa", "Tanggal terbentuk", "Ketua", "Sekretaris", "Bendahara"]


def _formed_sort(i: Doc) -> tuple[str, str, str, str]:
    return (str(i.get("formed_on")), str(i.get("region_code")), str(i.get("name")), str(i["_id"]))


def campaign_report(
    campaign: Doc,
    sessions: Iterable[Doc],
    institutions: Iterable[Doc],
    workers: Mapping[str, Doc],
    name_of: RegionName,
) -> Report:
    # A report shows its subject's region only, whatever it is given: sessions, institutions (and their boards),
    # narasumber names and desa outside the campaign's region are left out.
    region = str(campaign.get("region_code"))
    sessions = sorted(
        (s for s in sessions if in_region(s, region)),
        key=lambda s: (str(s.get("starts_at") or s.get("held_on")), str(s["_id"])),
    )
    institutions = [i for i in institutions if in_region(i, region)]
    workers = {
        w: doc
        for w, doc in workers.items()
        if is_within(str(doc.get("region_code")), region) or is_within(region, str(doc.get("region_code")))
    }
    progress = campaign_progress(campaign, sessions, institutions)
    formed = sorted(
        (i for i in institutions if any(formed_in_campaign(campaign, i, k) for k in ("WKSBM", "POKJA"))),
        key=_formed_sort,
    )

    def worker_name(worker_id: str) -> str:
        return str(workers.get(worker_id, {}).get("name") or worker_id)

    session_rows: list[list[Cell]] = []
    for s in sessions:
        present = s.get("narasumber_present_ids") or s.get("narasumber_ids", [])
        session_rows.append(
            [
                str(s.get("region_code")),
                name_of(str(s.get("region_code"))),
                str(s.get("kind")),
                str(s.get("held_on") or str(s.get("starts_at", ""))[:10]),
                str(s.get("status")),
                int(s.get("participants", 0)),
                ", ".join(worker_name(w) for w in sorted(present)),
            ]
        )
    narasumber: dict[str, int] = {}
    for s in sessions:
        if s.get("status") == "held":
            for w in s.get("narasumber_present_ids", []):
                narasumber[w] = narasumber.get(w, 0) + 1
    for w in campaign.get("narasumber_ids", []):
        narasumber.setdefault(w, 0)
    per_desa: dict[str, list[int]] = {
        code: [0, 0] for code in campaign.get("desa_codes", []) if is_within(code, region)
    }
    for s in sessions:
        if s.get("status") == "held":
            per_desa.setdefault(str(s["region_code"]), [0, 0])[0] += int(s.get("participants", 0))
    for i in formed:
        per_desa.setdefault(str(i["region_code"]), [0, 0])[1] += 1 if i.get("kind") == "WKSBM" else 0
    targets = progress["targets"]
    target_rows: list[list[Cell]] = []
    for label, name in (("WKSBM baru", "new_wksbm"), ("Pokja baru", "new_pokja")):
        t = targets[name]
        if t["target"] is not None or t["achieved"]:
            target_rows.append([label, "-" if t["target"] is None else t["target"], t["achieved"], _yes(t["met"])])
    per_session = targets["participants_per_session"]
    if per_session["target"] is not None:
        met = per_session["achieved"] >= per_session["target"]
        target_rows.append(["Peserta per sesi", per_session["target"], per_session["achieved"], _yes(met)])
    desa_labels = sorted(per_desa)
    return Report(
        kind="campaign",
        title=f"Laporan Kampanye: {campaign.get('name')}",
        region_code=str(campaign.get("region_code")),
        period_start=date.fromisoformat(campaign["start_date"]),
        period_end=date.fromisoformat(campaign["end_date"]),
        as_of=str(campaign.get("completed_at") or campaign.get("end_date")),
        meta=[
            ("Kampanye", str(campaign.get("name"))),
            ("Topik", str(campaign.get("topic"))),
            ("Wilayah", f"{campaign.get('region_code')} {name_of(str(campaign.get('region_code')))}"),
            ("Periode", f"{campaign['start_date']} s.d. {campaign['end_date']}"),
            ("Status", str(campaign.get("status"))),
            ("Sesi direncanakan", len(sessions)),
            ("Sesi dilaksanakan", progress["sessions"]["held"]),
            ("Sesi dibatalkan", progress["sessions"]["cancelled"]),
            ("Peserta", progress["participants"]["total"]),
        ],
        tables=[
            Table(
                "Sesi",
                ["Kode desa", "Desa", "Jenis", "Tanggal", "Status", "Peserta", "Narasumber"],
                session_rows,
            ),
            Table(
                "Kehadiran",
                ["Kategori", "Jumlah"],
                [[k, v] for k, v in progress["participants"]["by_category"].items()],
            ),
            Table(
                "Narasumber",
                ["ID", "Nama", "Sesi hadir"],
                [[w, worker_name(w), n] for w, n in sorted(narasumber.items())],
            ),
            Table("Lembaga terbentuk", FORMED_COLUMNS, [_formed_row(i, name_of) for i in formed]),
            Table("Sasaran", ["Sasaran", "Target", "Tercapai", "Terpenuhi"], target_rows),
        ],
        chart=Chart(
            "Peserta dan WKSBM terbentuk per desa",
            [name_of(code) or code for code in desa_labels],
            {
                "Peserta": [per_desa[c][0] for c in desa_labels],
                "WKSBM terbentuk": [per_desa[c][1] for c in desa_labels],
            },
        ),
    )


def psks_handover(region_code: str, start: date, end: date, institutions: Iterable[Doc], name_of: RegionName) -> Report:
    """The institutions formed in the period with their complete kepengurusan, for the PSKS section."""
    formed = sorted(
        (
            i
            for i in institutions
            if in_region(i, region_code)
            and i.get("formed_on")
            and start.isoformat() <= i["formed_on"] <= end.isoformat()
        ),
        key=_formed_sort,
    )
    rows: list[list[Cell]] = []
    by_kind: dict[str, int] = {}
    for i in formed:
        board = i.get("board", [])
        rows.append(
            [
                *_formed_row(i, name_of),
                board_others(board),
                str(i.get("status")),
                _yes(board_complete(board)),
            ]
        )
        by_kind[str(i.get("kind"))] = by_kind.get(str(i.get("kind")), 0) + 1
    kinds = sorted(by_kind)
    return Report(
        kind="psks_handover",
        title=f"Serah Terima Data PSKS: {name_of(region_code)}",
        region_code=region_code,
        period_start=start,
        period_end=end,
        as_of=max((str(i.get("formed_on")) for i in formed), default=end.isoformat()),
        meta=[
            ("Wilayah", f"{region_code} {name_of(region_code)}"),
            ("Periode", f"{start.isoformat()} s.d. {end.isoformat()}"),
            ("Lembaga terbentuk", len(formed)),
        ],
        tables=[
            Table(
                "Lembaga",
                [*FORMED_COLUMNS, "Pengurus lain", "Status", "Kepengurusan lengkap"],
                rows,
            )
        ],
        chart=Chart("Lembaga terbentuk per jenis", kinds, {"Lembaga": [by_kind[k] for k in kinds]}),
    )


def monthly_district(
    region_code: str,
    start: date,
    end: date,
    sessions: Iterable[Doc],
    institutions: Iterable[Doc],
    regulations: Iterable[Doc],
    name_of: RegionName,
) -> Report:
    """What happened in a district in a period, by kecamatan."""
    lo, hi = start.isoformat(), end.isoformat()
    held = sorted(
        (
            s
            for s in sessions
            if in_region(s, region_code) and s.get("status") == "held" and lo <= str(s.get("held_on")) <= hi
        ),
        key=lambda s: (str(s["held_on"]), str(s["region_code"]), str(s["_id"])),
    )
    formed = sorted(
        (i for i in institutions if in_region(i, region_code) and lo <= str(i.get("formed_on")) <= hi),
        key=_formed_sort,
    )
    adopted = sorted(
        (r for r in regulations if in_region(r, region_code) and lo <= str(r.get("adopted_on")) <= hi),
        key=lambda r: (str(r["adopted_on"]), str(r["region_code"]), str(r["_id"])),
    )
    per_kecamatan: dict[str, list[int]] = {}

    def kecamatan(code: str) -> list[int]:
        return per_kecamatan.setdefault(".".join(code.split(".")[:3]), [0, 0, 0, 0])

    for s in held:
        kecamatan(str(s["region_code"]))[0] += 1
        kecamatan(str(s["region_code"]))[1] += int(s.get("participants", 0))
    for i in formed:
        kecamatan(str(i["region_code"]))[2] += 1
    for r in adopted:
        kecamatan(str(r["region_code"]))[3] += 1
    codes = sorted(per_kecamatan)
    return Report(
        kind="monthly_district",
        title=f"Laporan Bulanan {name_of(region_code)} {lo[:7]}",
        region_code=region_code,
        period_start=start,
        period_end=end,
        as_of=hi,
        meta=[
            ("Wilayah", f"{region_code} {name_of(region_code)}"),
            ("Periode", f"{lo} s.d. {hi}"),
            ("Sesi dilaksanakan", len(held)),
            ("Peserta", sum(int(s.get("participants", 0)) for s in held)),
            ("Lembaga terbentuk", len(formed)),
            ("Peraturan masyarakat", len(adopted)),
        ],
        tables=[
            Table(
                "Per kecamatan",
                ["Kode kecamatan", "Kecamatan", "Sesi dilaksanakan", "Peserta", "Lembaga terbentuk", "Peraturan"],
                [[c, name_of(c), *per_kecamatan[c]] for c in codes],
            ),
            Table(
                "Sesi",
                ["Tanggal", "Kode desa", "Desa", "Jenis", "Topik", "Peserta"],
                [
                    [
                        str(s["held_on"]),
                        str(s["region_code"]),
                        name_of(str(s["region_code"])),
                        str(s.get("kind")),
                        str(s.get("topic")),
                        int(s.get("participants", 0)),
                    ]
                    for s in held
                ],
            ),
            Table("Lembaga terbentuk", FORMED_COLUMNS, [_formed_row(i, name_of) for i in formed]),
            Table(
                "Peraturan",
                ["Tanggal", "Kode desa", "Judul", "Topik"],
                [
                    [str(r["adopted_on"]), str(r["region_code"]), str(r["title"]), ", ".join(r["topics"])]
                    for r in adopted
                ],
            ),
        ],
        chart=Chart(
            "Sesi dan peserta per kecamatan",
            [name_of(c) or c for c in codes],
            {"Sesi": [per_kecamatan[c][0] for c in codes], "Peserta": [per_kecamatan[c][1] for c in codes]},
        ),
    )
