"""Indonesian phrasing the narratives share: numbers ("1.234"), lists ("A, B dan C"), date ranges ("mulai tanggal
8 Agustus sampai dengan tanggal 15 Agustus 2019") and places ("Desa Kampung", "Kecamatan Ngawen"), as the
Dinas Sosial writes them in its own accounts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from contracts.events.common import participant_category_label, participant_category_order
from pilar_runtime.localtime import BULAN, tanggal
from services.reporting.reports.model import RegionName

# Categories that are common nouns, written in lower case inside a sentence ("tokoh agama 80 orang"); the others
# are names or abbreviations (Forkopimda, DPRD, Tagana, Sakti Peksos) and keep their capitals.
COMMON_CATEGORIES = frozenset(
    {"tokoh_masyarakat", "tokoh_agama", "perangkat_desa", "kader", "camat", "kepala_desa", "ormas", "lainnya"}
)


def angka(n: int) -> str:
    """``1234`` → ``1.234``."""
    return f"{n:,}".replace(",", ".")


def daftar(items: Iterable[str], last: str = "dan") -> str:
    """``["A", "B", "C"]`` → ``A, B dan C``."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def kalimat(text: str) -> str:
    """A sentence ends with one full stop, also after a name that ends with one ("Budhy Santoso, Ph.D.")."""
    return text if text.endswith(".") else f"{text}."


def rentang(start: date, end: date) -> str:
    """A period as a letter writes it: the year (and month) once when both ends share it."""
    if start == end:
        return f"pada tanggal {tanggal(start)}"
    first = tanggal(start) if start.year != end.year else f"{start.day} {BULAN[start.month - 1]}"
    if start.year == end.year and start.month == end.month and start.day == 1 and _last_of_month(end):
        return f"selama bulan {BULAN[start.month - 1]} {start.year}"
    return f"mulai tanggal {first} sampai dengan tanggal {tanggal(end)}"


def _last_of_month(day: date) -> bool:
    return day.month != date.fromordinal(day.toordinal() + 1).month


def kabupaten_of(code: str) -> str:
    return ".".join(code.split(".")[:2])


def kecamatan_of(code: str) -> str:
    return ".".join(code.split(".")[:3])


def wilayah(code: str, name_of: RegionName) -> str:
    """A region by its level's word: "Kabupaten Gunungkidul" (the reference names kabupaten and kota so),
    "Kecamatan Nglipar", "Desa Kampung" or "Kelurahan Wonosari" (a Kemendagri desa code starting with 1)."""
    parts = code.split(".") if code else []
    name = name_of(code) or code
    if len(parts) == 3:
        return f"Kecamatan {name}"
    if len(parts) == 4:
        return f"{'Kelurahan' if parts[3].startswith('1') else 'Desa'} {name}"
    return name or "seluruh wilayah"


def district(code: str, name_of: RegionName) -> str:
    """The kabupaten/kota a region lies in ("Kabupaten Gunungkidul"); a province's own name; "" nationally."""
    return name_of(kabupaten_of(code)) if code else ""


def kategori(category: str) -> str:
    label = participant_category_label(category)
    key = category.strip().lower().replace(" ", "_")
    return label[0].lower() + label[1:] if key in COMMON_CATEGORIES else label


def rincian_peserta(by_category: Mapping[str, int]) -> str:
    """``tokoh masyarakat 100 orang, tokoh agama 80 orang dan kader 100 orang``, in the categories' order."""
    kept = sorted((c for c in by_category if by_category[c]), key=participant_category_order)
    return daftar(f"{kategori(c)} {angka(int(by_category[c]))} orang" for c in kept)


def peserta(total: int, by_category: Mapping[str, int]) -> str:
    """``400 orang, terdiri dari …`` (or ``di antaranya`` when the categories do not add up to the total)."""
    detail = rincian_peserta(by_category)
    if not detail:
        return f"{angka(total)} orang"
    joined = "terdiri dari" if sum(by_category.values()) == total else "di antaranya"
    return f"{angka(total)} orang, {joined} {detail}"


def hitungan(counts: Mapping[str, int]) -> str:
    """``10 WKSBM dan 2 Pokja``, in the mapping's order."""
    return daftar(f"{angka(n)} {label}" for label, n in counts.items() if n)
