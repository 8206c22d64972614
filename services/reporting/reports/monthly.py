"""The monthly district report: what happened in a district in a period, by kecamatan."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date

from services.reporting.domain.activities import activities_between, is_dormant, label
from services.reporting.reports.boards import FORMED_COLUMNS, formed_order, formed_row
from services.reporting.reports.labels import jenis
from services.reporting.reports.model import (
    Cell,
    Chart,
    Doc,
    RegionName,
    Report,
    Table,
    between,
    lies_in,
    period_label,
)
from services.reporting.reports.narrative.region import MonthlyFacts, monthly_narrative
from services.reporting.reports.prose import district, kecamatan_of, wilayah

KECAMATAN_COLUMNS = ["Kode kecamatan", "Kecamatan", "Sesi dilaksanakan", "Peserta", "Lembaga terbentuk", "Peraturan"]


def _kept(records: Iterable[Doc], region_code: str, field: str, start: date, end: date) -> list[Doc]:
    """The records of the region whose ``field`` (a date) lies in the period, by that date, desa and id."""
    return sorted(
        (r for r in records if lies_in(r, region_code) and between(r.get(field), start, end)),
        key=lambda r: (str(r[field]), str(r["region_code"]), str(r["_id"])),
    )


def per_kecamatan(held: Iterable[Doc], formed: Iterable[Doc], adopted: Iterable[Doc]) -> dict[str, list[int]]:
    """Per kecamatan, in code order: sessions held, participants, institutions formed, regulations adopted."""
    counts: dict[str, list[int]] = {}

    def row(record: Doc) -> list[int]:
        return counts.setdefault(kecamatan_of(str(record["region_code"])), [0, 0, 0, 0])

    for s in held:
        row(s)[0] += 1
        row(s)[1] += int(s.get("participants", 0))
    for i in formed:
        row(i)[2] += 1
    for r in adopted:
        row(r)[3] += 1
    return dict(sorted(counts.items()))


def session_row(session: Doc, name_of: RegionName) -> list[Cell]:
    code = str(session["region_code"])
    return [
        str(session["held_on"]),
        code,
        name_of(code),
        str(session.get("kind")),
        str(session.get("topic")),
        int(session.get("participants", 0)),
    ]


def regulation_row(regulation: Doc) -> list[Cell]:
    return [
        str(regulation["adopted_on"]),
        str(regulation["region_code"]),
        str(regulation["title"]),
        ", ".join(regulation["topics"]),
    ]


ACTIVITY_COLUMNS = ["Tanggal", "Lembaga", "Jenis lembaga", "Desa", "Kegiatan", "Peserta"]
DORMANT_COLUMNS = ["Lembaga", "Jenis lembaga", "Desa", "Kegiatan terakhir", "Tanggal kegiatan terakhir"]


def activity_row(activity: Doc, name_of: RegionName) -> list[Cell]:
    institution = activity["institution"]
    return [
        str(activity["on"]),
        str(institution.get("name")),
        jenis(institution.get("kind")),
        name_of(str(institution["region_code"])),
        label(activity["kind"]),
        int(activity.get("participants", 0)),
    ]


def dormant_row(institution: Doc, name_of: RegionName) -> list[Cell]:
    last = institution.get("last_activity_kind")
    return [
        str(institution.get("name")),
        jenis(institution.get("kind")),
        name_of(str(institution["region_code"])),
        label(last) if last else "Belum ada",
        str(institution.get("last_activity_on") or "-"),
    ]


def monthly_district(
    region_code: str,
    start: date,
    end: date,
    sessions: Iterable[Doc],
    institutions: Iterable[Doc],
    regulations: Iterable[Doc],
    name_of: RegionName,
    registered: Iterable[Doc] = (),
) -> Report:
    """``institutions`` are those formed in the period; ``registered`` every institution of the region (their
    activities in the period, and the dormant ones at its end)."""
    held = _kept((s for s in sessions if s.get("status") == "held"), region_code, "held_on", start, end)
    formed = sorted(
        (i for i in institutions if lies_in(i, region_code) and between(i.get("formed_on"), start, end)),
        key=formed_order,
    )
    adopted = _kept(regulations, region_code, "adopted_on", start, end)
    kecamatan = per_kecamatan(held, formed, adopted)
    registered = [i for i in registered if lies_in(i, region_code)]
    activities = activities_between(registered, start, end)
    dormant = sorted(
        (i for i in registered if is_dormant(i, end)), key=lambda i: (str(i.get("quiet_since")), str(i["_id"]))
    )
    facts = MonthlyFacts(
        region=wilayah(region_code, name_of),
        start=start,
        end=end,
        sessions_by_kind=Counter(str(s.get("kind")) for s in held),
        participants=sum(int(s.get("participants", 0)) for s in held),
        kecamatan=[wilayah(code, name_of) for code, counts in kecamatan.items() if counts[0]],
        formed_by_kind=Counter(sorted(jenis(i.get("kind")) for i in formed)),
        regulations=len(adopted),
        activities=len(activities),
        dormant=len(dormant),
    )
    return Report(
        kind="monthly_district",
        title=f"Laporan Bulanan {name_of(region_code)} {start.isoformat()[:7]}",
        region_code=region_code,
        period_start=start,
        period_end=end,
        as_of=end.isoformat(),
        meta=[
            ("Wilayah", f"{region_code} {name_of(region_code)}"),
            ("Periode", period_label(start, end)),
            ("Sesi dilaksanakan", len(held)),
            ("Peserta", sum(int(s.get("participants", 0)) for s in held)),
            ("Lembaga terbentuk", len(formed)),
            ("Peraturan masyarakat", len(adopted)),
            ("Kegiatan lembaga", len(activities)),
            ("Lembaga tidur (tanpa kegiatan > 6 bulan)", len(dormant)),
        ],
        narrative=monthly_narrative(facts),
        district=district(region_code, name_of),
        tables=[
            Table("Per kecamatan", KECAMATAN_COLUMNS, [[c, name_of(c), *n] for c, n in kecamatan.items()]),
            Table(
                "Sesi",
                ["Tanggal", "Kode desa", "Desa", "Jenis", "Topik", "Peserta"],
                [session_row(s, name_of) for s in held],
            ),
            Table("Lembaga terbentuk", FORMED_COLUMNS, [formed_row(i, name_of) for i in formed]),
            Table("Peraturan", ["Tanggal", "Kode desa", "Judul", "Topik"], [regulation_row(r) for r in adopted]),
            Table("Kegiatan lembaga", ACTIVITY_COLUMNS, [activity_row(a, name_of) for a in activities]),
            Table("Lembaga tidur", DORMANT_COLUMNS, [dormant_row(i, name_of) for i in dormant]),
        ],
        chart=Chart(
            "Sesi dan peserta per kecamatan",
            [name_of(c) or c for c in kecamatan],
            {"Sesi": [n[0] for n in kecamatan.values()], "Peserta": [n[1] for n in kecamatan.values()]},
        ),
    )
