"""How the dashboard writes its figures: numbers as Indonesians write them, months by name, bars as a share of the
largest value of their column (counts are whole numbers: a bar's length never implies a fraction)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from pilar_runtime.localtime import BULAN, abbreviation, tanggal, zone_of
from services.reporting.domain.breakdown import CHILD_LEVEL, FIGURES, LEVEL
from services.reporting.reports.labels import jenis

# The children's table: each figure under its Indonesian heading.
FIGURE_LABELS = {
    "institutions": "Lembaga terdaftar",
    "sessions_held": "Sesi dilaksanakan",
    "participants": "Peserta hadir",
    "followups_open": "Tindak lanjut berjalan",
    "followups_overdue": "Tindak lanjut terlambat",
    "dormant": "Lembaga tidur",
}
MONTHS_SHOWN = 24


def angka(n: int) -> str:
    """``1234567`` → ``1.234.567``."""
    return f"{int(n):,}".replace(",", ".")


def bulan(month: str) -> str:
    """``2019-08`` → ``Agustus 2019``."""
    year, _, number = month.partition("-")
    return f"{BULAN[int(number) - 1]} {year}"


def hari(day: object) -> str:
    """An ISO day as a letter writes it (``2019-08-08`` → ``8 Agustus 2019``); ``-`` for none. A stored value that
    is not a day (from an older producer) is shown as it is rather than failing the page."""
    if not day:
        return "-"
    try:
        return tanggal(date.fromisoformat(str(day)[:10]))
    except ValueError:
        return str(day)


def waktu(moment: datetime, region: str) -> str:
    """An instant on the region's clock: ``8 Agustus 2019 09.00 WIB`` (the store keeps UTC)."""
    zone = zone_of(region)
    local = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(zone)
    return f"{tanggal(local.date())} {local:%H.%M} {abbreviation(zone)}"


def share(value: int, top: int) -> int:
    """A bar's length in percent of the column's largest value; a count above zero always shows."""
    if value <= 0 or top <= 0:
        return 0
    return max(1, round(100 * value / top))


def tops(rows: Iterable[Mapping[str, Any]], keys: Iterable[str]) -> dict[str, int]:
    rows = list(rows)
    return {key: max((int(row[key]) for row in rows), default=0) for key in keys}


def by_kind(counts: Mapping[str, int]) -> str:
    """``{"WKSBM": 5, "POKJA": 1}`` → ``Pokja 1 · WKSBM 5`` (by label)."""
    return " · ".join(f"{label} {angka(n)}" for label, n in sorted((jenis(k), n) for k, n in counts.items() if n))


def children_table(level: int, rows: list[dict[str, Any]], above: Mapping[str, int] | None) -> dict[str, Any]:
    """The table of the level below a region at ``level`` (0 = nation): its heading, columns, rows and their bars,
    and the figures recorded at the region's own level."""
    return {
        "level": CHILD_LEVEL.get(level, ""),  # none below a desa
        "own_level": LEVEL[level],
        "figures": [(key, FIGURE_LABELS[key]) for key in FIGURES],
        "rows": rows,
        "tops": tops(rows, FIGURES),
        "above": above,
    }


def monthly_table(formations: Mapping[str, Mapping[str, int]], held: Mapping[str, int]) -> dict[str, Any]:
    """Institutions formed (per kind) and sessions held, month by month: the months with any of them, the last
    MONTHS_SHOWN."""
    months = sorted({m for by_month in formations.values() for m in by_month} | set(held))[-MONTHS_SHOWN:]
    columns = [(f"formed-{kind}", f"{jenis(kind)} terbentuk") for kind in sorted(formations, key=jenis)]
    columns.append(("sessions-held", "Sesi dilaksanakan"))
    rows = [
        {
            "month": month,
            "label": bulan(month),
            **{f"formed-{kind}": formations[kind].get(month, 0) for kind in formations},
            "sessions-held": held.get(month, 0),
        }
        for month in months
    ]
    return {"columns": columns, "rows": rows, "tops": tops(rows, [key for key, _ in columns])}
