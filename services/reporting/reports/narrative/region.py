"""The reports of a region: the monthly district report, the PSKS handover and the registry export, each told in
a few sentences."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from pilar_runtime.localtime import tanggal
from services.reporting.reports.prose import angka, daftar, hitungan, rentang


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
