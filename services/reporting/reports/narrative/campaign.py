"""A campaign told as the office tells it (seed 001): who held it, where and when, who came, what it led to."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from pilar_runtime.localtime import tanggal
from services.reporting.reports.prose import angka, daftar, kalimat, peserta, rentang


@dataclass(frozen=True)
class Place:
    """Where a session took place, named by level: "Desa Kampung", "Kecamatan Ngawen", "Kabupaten Gunungkidul"."""

    desa: str
    kecamatan: str
    kabupaten: str


@dataclass(frozen=True)
class Visit:
    """One session of a campaign: where, on which day, its state and who came."""

    place: Place
    day: date | None
    status: str  # scheduled | held | cancelled
    participants: int = 0
    narasumber: int = 0  # narasumber present


@dataclass(frozen=True)
class Target:
    what: str  # "WKSBM", "Pokja"
    target: int | None
    achieved: int
    complete_boards: int = 0  # of the institutions achieved, those with ketua, sekretaris and bendahara


@dataclass(frozen=True)
class CampaignFacts:
    organiser: str
    name: str
    topic: str
    status: str  # planned | completed | cancelled
    start: date
    end: date
    visits: list[Visit]
    by_category: Mapping[str, int]
    narasumber: list[str]  # names
    targets: list[Target]
    per_session_target: int | None = None


CAMPAIGN_CLOSING = {
    "completed": "Kampanye ini telah selesai.",
    "planned": "Kampanye ini masih berjalan.",
    "cancelled": "Kampanye ini dibatalkan.",
}


def campaign_narrative(facts: CampaignFacts) -> list[str]:
    held = [v for v in facts.visits if v.status == "held"]
    return [p for p in (_where_and_when(facts, held), _who_came(held, facts), _results(facts, held)) if p]


def _where_and_when(facts: CampaignFacts, held: list[Visit]) -> str:
    what = f"{facts.organiser} melaksanakan penyuluhan sosial tingkat desa “{facts.name}” dengan topik {facts.topic}."
    if not held:
        return f"{what} Kegiatan direncanakan {rentang(facts.start, facts.end)}; belum ada lokasi yang terlaksana."
    days = sorted({v.day for v in held if v.day})
    kabupaten = sorted({v.place.kabupaten for v in held})
    if len(kabupaten) == 1:
        where = f"semuanya ada di {kabupaten[0]}"
    else:
        where = f"tersebar di {angka(len(kabupaten))} kabupaten/kota ({daftar(kabupaten)})"
    when = rentang(days[0], days[-1]) if days else rentang(facts.start, facts.end)
    sentences = [what, f"Pelaksanaannya di {angka(len(held))} lokasi, {where} {when}."]
    per_day = set(Counter(v.day for v in held if v.day).values())
    if len(per_day) == 1:
        sentences.append(f"Dalam 1 hari dilaksanakan {angka(per_day.pop())} lokasi.")
    elif per_day:
        sentences.append(f"Dalam 1 hari dilaksanakan paling banyak {angka(max(per_day))} lokasi.")
    sentences.append(f"Lokasi penyuluhan adalah {_places(held, with_kabupaten=len(kabupaten) > 1)}.")
    sentences += _not_held(facts.visits)
    return " ".join(sentences)


def _places(visits: list[Visit], *, with_kabupaten: bool) -> str:
    """Desa grouped by kecamatan, in the order they were visited: "Desa Salam dan Desa Pengkok, Kecamatan Patuk"."""
    groups: dict[tuple[str, str], list[str]] = {}
    for v in visits:
        desa = groups.setdefault((v.place.kecamatan, v.place.kabupaten), [])
        if v.place.desa not in desa:
            desa.append(v.place.desa)
    named = [
        f"{daftar(desa)}, {kecamatan}" + (f", {kabupaten}" if with_kabupaten else "")
        for (kecamatan, kabupaten), desa in groups.items()
    ]
    return "; ".join(named[:-1]) + (" serta " if len(named) > 1 else "") + named[-1]


def _not_held(visits: list[Visit]) -> list[str]:
    sentences = []
    cancelled = [v for v in visits if v.status == "cancelled"]
    if cancelled:
        where = daftar(f"{v.place.desa}" + (f" ({tanggal(v.day)})" if v.day else "") for v in cancelled)
        sentences.append(f"Sebanyak {angka(len(cancelled))} sesi dibatalkan, yaitu di {where}.")
    waiting = [v for v in visits if v.status not in ("held", "cancelled")]
    if waiting:
        sentences.append(f"Sebanyak {angka(len(waiting))} sesi belum dilaporkan terlaksana.")
    return sentences


def _who_came(held: list[Visit], facts: CampaignFacts) -> str:
    if not held:
        return ""
    total = sum(v.participants for v in held)
    each = {v.participants for v in held}
    if len(each) == 1:
        came = f"Jumlah peserta yang hadir di setiap lokasi sebanyak {angka(each.pop())} orang, seluruhnya"
    else:
        average = angka(round(total / len(held)))
        came = f"Jumlah peserta yang hadir rata-rata {average} orang di setiap lokasi, seluruhnya"
    sentences = [f"{came} {peserta(total, facts.by_category)}."]
    if facts.narasumber:
        speakers = {v.narasumber for v in held}
        names = f"{angka(len(facts.narasumber))} orang, yaitu {daftar(facts.narasumber)}"
        if len(speakers) == 1 and speakers != {0}:
            sentences.append(
                kalimat(f"Narasumber di setiap lokasi sebanyak {angka(speakers.pop())} orang dari {names}")
            )
        else:
            sentences.append(kalimat(f"Narasumber seluruhnya {names}"))
    return " ".join(sentences)


def _results(facts: CampaignFacts, held: list[Visit]) -> str:
    sentences = [_formed(t) for t in facts.targets if t.target is not None or t.achieved]
    if facts.per_session_target is not None and held:
        average = sum(v.participants for v in held) / len(held)
        met = "tercapai" if average >= facts.per_session_target else "belum tercapai"
        sentences.append(
            f"Sasaran peserta sebanyak {angka(facts.per_session_target)} orang per lokasi {met} "
            f"(rata-rata {angka(round(average))} orang)."
        )
    sentences.append(CAMPAIGN_CLOSING.get(facts.status, ""))
    return " ".join(s for s in sentences if s)


def _formed(t: Target) -> str:
    formed = f"sebanyak {angka(t.achieved)} {t.what} baru terbentuk"
    if t.achieved and t.complete_boards == t.achieved:
        formed += ", dengan kepengurusan yang lengkap"
    elif t.achieved:
        formed += f", {angka(t.complete_boards)} di antaranya dengan kepengurusan yang lengkap"
    if t.target is None:
        return f"Setelah dilaksanakan penyuluhan {formed}."
    if t.achieved >= t.target:
        return f"Sasaran minimal {angka(t.target)} {t.what} baru tercapai: setelah dilaksanakan penyuluhan {formed}."
    return f"Sasaran minimal {angka(t.target)} {t.what} baru belum tercapai: sampai laporan ini dibuat {formed}."
