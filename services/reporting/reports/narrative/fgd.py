"""FGD minutes told as the office tells them (seed 004): the theme, the venue and day, who came, the narasumber,
what was decided and how the follow-ups stand."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from pilar_runtime.localtime import HARI, tanggal
from services.reporting.reports.prose import angka, daftar, kalimat, peserta


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
