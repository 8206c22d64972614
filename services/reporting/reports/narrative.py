"""The narrative every report opens with, in the register of the office's own accounts (seed 001: "Pelaksanaannya
di 10 lokasi, semuanya ada di Kabupaten Gunungkidul mulai tanggal 8 Agustus sampai dengan tanggal 15 Agustus 2019.
Dalam 1 hari dilaksanakan 2 lokasi …"; seed 004: "Kegiatan Forum Group Diskusi (FGD) … dilaksanakan di …").

Pure: each builder takes the facts of its report (as the report module gathers them) and returns Indonesian
paragraphs; the same facts always give the same text. Who, what, where, when, how many (by category), targets met
or not, and what follows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from pilar_runtime.localtime import HARI, tanggal
from services.reporting.reports.prose import angka, daftar, hitungan, kalimat, peserta, rentang


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


@dataclass(frozen=True)
class FollowupFact:
    action: str
    owner: str
    due: date | None
    status: str  # open | overdue | completed | cancelled


@dataclass(frozen=True)
class FgdFacts:
    organiser: str
    topic: str
    venue: str
    district: str  # "Kabupaten Bondowoso"
    day: date
    participants: int
    by_category: Mapping[str, int]
    narasumber: list[str]
    summary: str
    pilot_desa: list[str]  # "Desa Sucolor", …
    followups: list[FollowupFact] = field(default_factory=list)


FOLLOWUP_WORDS = {"completed": "selesai", "open": "berjalan", "overdue": "terlambat", "cancelled": "dibatalkan"}


def fgd_narrative(facts: FgdFacts) -> list[str]:
    where = ", ".join(p for p in (facts.venue, facts.district) if p)
    opening = (
        f"Kegiatan Forum Group Diskusi (FGD) dengan tema {facts.topic} dilaksanakan"
        + (f" di {where}" if where else "")
        + f" pada hari {HARI[facts.day.weekday()]}, tanggal {tanggal(facts.day)}. "
        f"Acara tersebut digelar oleh {facts.organiser}."
    )
    came = f"Kegiatan dihadiri oleh {peserta(facts.participants, facts.by_category)}."
    if facts.narasumber:
        came += " " + kalimat(f"Narasumber dalam acara tersebut adalah {daftar(facts.narasumber)}")
    paragraphs = [opening, came]
    outcome = [kalimat(f"Hasil diskusi: {facts.summary}")] if facts.summary else []
    if facts.pilot_desa:
        outcome.append(f"Ditetapkan {angka(len(facts.pilot_desa))} desa percontohan, yaitu {daftar(facts.pilot_desa)}.")
    paragraphs.append(" ".join(outcome))
    paragraphs.append(_followups(facts.followups))
    return [p for p in paragraphs if p]


def _followups(followups: list[FollowupFact]) -> str:
    if not followups:
        return "Tidak ada tindak lanjut yang dicatat."
    states = Counter(f.status for f in followups)
    tally = daftar(f"{angka(states[s])} {word}" for s, word in FOLLOWUP_WORDS.items() if states[s])
    sentences = [f"Disepakati {angka(len(followups))} tindak lanjut: {tally}."]
    late = [f for f in followups if f.status == "overdue"]
    if late:
        listed = "; ".join(
            f"{f.action} (penanggung jawab {f.owner}" + (f", batas waktu {tanggal(f.due)})" if f.due else ")")
            for f in late
        )
        sentences.append(f"Tindak lanjut yang melewati batas waktu: {listed}.")
    return " ".join(sentences)


@dataclass(frozen=True)
class MonthlyFacts:
    region: str  # "Kabupaten Gunungkidul"
    start: date
    end: date
    sessions_by_kind: Mapping[str, int]  # "penyuluhan": 10
    participants: int
    kecamatan: list[str]  # "Kecamatan Wonosari", … where sessions were held
    formed_by_kind: Mapping[str, int]  # "WKSBM": 10
    regulations: int
    activities: int
    dormant: int


def monthly_narrative(facts: MonthlyFacts) -> list[str]:
    when = rentang(facts.start, facts.end)
    when = when[0].upper() + when[1:]
    held = sum(facts.sessions_by_kind.values())
    if held:
        kinds = hitungan(facts.sessions_by_kind)
        where = ""
        if facts.kecamatan:
            where = f" di {angka(len(facts.kecamatan))} kecamatan, yaitu {daftar(facts.kecamatan)},"
        first = (
            f"{when}, di {facts.region} dilaksanakan {angka(held)} sesi ({kinds}){where} "
            f"dengan peserta seluruhnya {angka(facts.participants)} orang."
        )
    else:
        first = f"{when}, di {facts.region} tidak ada sesi yang dilaksanakan."
    formed = sum(facts.formed_by_kind.values())
    second = [
        f"Lembaga baru yang terbentuk sebanyak {angka(formed)} ({hitungan(facts.formed_by_kind)})."
        if formed
        else "Tidak ada lembaga baru yang terbentuk.",
        f"Peraturan masyarakat yang disepakati sebanyak {angka(facts.regulations)}."
        if facts.regulations
        else "Tidak ada peraturan masyarakat baru.",
    ]
    activities = (
        f"Tercatat {angka(facts.activities)} kegiatan lembaga"
        if facts.activities
        else "Tidak ada kegiatan lembaga yang tercatat"
    )
    dormant = (
        f"{angka(facts.dormant)} lembaga tidak berkegiatan lebih dari 6 bulan (lembaga tidur)"
        if facts.dormant
        else "tidak ada lembaga yang tidak berkegiatan lebih dari 6 bulan"
    )
    third = f"{activities}; {dormant}."
    return [first, " ".join(second), third]


@dataclass(frozen=True)
class HandoverFacts:
    region: str
    start: date
    end: date
    formed_by_kind: Mapping[str, int]
    complete_boards: int


def psks_narrative(facts: HandoverFacts) -> list[str]:
    when = rentang(facts.start, facts.end)
    formed = sum(facts.formed_by_kind.values())
    if not formed:
        return [f"Di {facts.region} tidak ada lembaga yang terbentuk {when}."]
    complete = (
        "semuanya dengan kepengurusan yang lengkap"
        if facts.complete_boards == formed
        else f"{angka(facts.complete_boards)} di antaranya dengan kepengurusan yang lengkap"
    )
    return [
        f"Data Potensi dan Sumber Kesejahteraan Sosial (PSKS) yang diserahterimakan memuat lembaga yang terbentuk "
        f"di {facts.region} {when}: sebanyak {angka(formed)} lembaga ({hitungan(facts.formed_by_kind)}), "
        f"{complete} (ketua, sekretaris dan bendahara).",
        "Data pengurus memuat nama dan jabatan saja; NIK dan nomor telepon tetap di registri.",
    ]


@dataclass(frozen=True)
class RegistryFacts:
    region: str
    as_of: date
    by_kind: Mapping[str, int]
    active: int
    complete_boards: int
    workers_by_role: Mapping[str, int]  # active workers


def registry_narrative(facts: RegistryFacts) -> list[str]:
    total = sum(facts.by_kind.values())
    if total:
        institutions = (
            f"Per tanggal {tanggal(facts.as_of)}, registri {facts.region} mencatat {angka(total)} lembaga "
            f"({hitungan(facts.by_kind)}), {angka(facts.active)} di antaranya aktif dan "
            f"{angka(facts.complete_boards)} dengan kepengurusan yang lengkap."
        )
    else:
        institutions = f"Per tanggal {tanggal(facts.as_of)}, registri {facts.region} belum mencatat lembaga."
    workers = sum(facts.workers_by_role.values())
    people = (
        f"Pekerja sosial yang aktif sebanyak {angka(workers)} orang ({hitungan(facts.workers_by_role)})."
        if workers
        else "Belum ada pekerja sosial yang aktif."
    )
    return [f"{institutions} {people}"]
