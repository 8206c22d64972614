"""The FGD minutes (berita acara / notulen), built when an FGD is held and again whenever one of its follow-ups is
completed or goes overdue: topic, venue, date, attendance by category, the daftar hadir (when one was filed),
narasumber, summary, the pilot desa by name and the follow-ups (tindak lanjut) with their owner, due date and state.

Like every report it shows its subject's region only: follow-ups, pilot desa and people outside the FGD's region
are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from contracts.events.common import participant_category_label
from pilar_runtime.localtime import hari_tanggal
from pilar_runtime.regions import in_region
from services.reporting.reports.attendance import attendance_rows
from services.reporting.reports.campaign import worker_name, workers_of_region
from services.reporting.reports.labels import FOLLOWUP_STATUS_LABELS, followup_status
from services.reporting.reports.letterhead import DEFAULT_LETTERHEAD
from services.reporting.reports.model import Cell, Chart, Doc, RegionName, Report, Table, lies_in
from services.reporting.reports.narrative.fgd import FgdFacts, FollowupFact, fgd_narrative
from services.reporting.reports.prose import district, kecamatan_of, wilayah

KIND = "fgd_minutes"
FOLLOWUP_COLUMNS = ["No", "Tindak lanjut", "Penanggung jawab", "Batas waktu", "Status", "Tanggal selesai"]
PILOT_COLUMNS = ["No", "Kode desa", "Desa", "Kecamatan"]
ATTENDEE_COLUMNS = ["No", "Nama", "Kategori", "Lembaga", "Desa"]


def report_id(session_id: str) -> str:
    """One minutes report per FGD, whatever redelivers its event: later versions replace its files."""
    return f"rpt_{KIND}_{session_id}"


def pilots_of(codes: Iterable[str], region: str) -> list[str]:
    """The FGD's pilot desa in its region, in code order."""
    return sorted(code for code in set(codes) if in_region(code, region))


def pilot_rows(codes: Iterable[str], region: str, name_of: RegionName) -> list[list[Cell]]:
    kept = pilots_of(codes, region)
    return [[n, code, name_of(code), name_of(kecamatan_of(code))] for n, code in enumerate(kept, start=1)]


def attendee_rows(attendees: Iterable[Doc], name_of: RegionName) -> list[list[Cell]]:
    """The daftar hadir in the order people signed it."""
    return [
        [
            n,
            str(a.get("name")),
            participant_category_label(str(a.get("category"))),
            str(a.get("institution") or "-"),
            (name_of(str(a["desa_code"])) or str(a["desa_code"])) if a.get("desa_code") else "-",
        ]
        for n, a in enumerate(attendees, start=1)
    ]


def _followup_order(followup: Doc) -> tuple[str, str, str]:
    return (str(followup.get("due_on")), str(followup.get("action")), str(followup["_id"]))


def followup_rows(followups: Iterable[Doc], workers: Mapping[str, Doc]) -> list[list[Cell]]:
    return [
        [
            n,
            str(f.get("action") or "-"),
            worker_name(workers, str(f.get("owner_id"))),
            str(f.get("due_on") or "-"),
            followup_status(f.get("status")),
            str(f.get("completed_on") or "-") if f.get("status") == "completed" else "-",
        ]
        for n, f in enumerate(sorted(followups, key=_followup_order), start=1)
    ]


def followup_tally(followups: Iterable[Doc]) -> str:
    """How many follow-ups, by state: "3 (1 berjalan, 1 terlambat, 1 selesai)"."""
    states = [str(f.get("status")) for f in followups]
    parts = [
        f"{states.count(state)} {label.lower()}" for state, label in FOLLOWUP_STATUS_LABELS.items() if state in states
    ]
    return f"{len(states)} ({', '.join(parts)})" if states else "0"


def newest_fact(session: Doc, followups: Iterable[Doc]) -> str:
    """The date of the newest fact the minutes reflect: the FGD, a completion, or a due date passed (overdue)."""
    dates = [str(session.get("held_on"))]
    for f in followups:
        if f.get("status") == "completed" and f.get("completed_on"):
            dates.append(str(f["completed_on"]))
        elif f.get("status") == "overdue" and f.get("due_on"):
            dates.append(str(f["due_on"]))
    return max(dates)


def fgd_facts(
    session: Doc,
    agreed: list[Doc],
    people: Mapping[str, Doc],
    narasumber: list[str],
    name_of: RegionName,
    organiser: str,
) -> FgdFacts:
    region = str(session.get("region_code"))
    pilots = pilots_of(session.get("pilot_desa_codes", []), region)
    return FgdFacts(
        organiser=organiser,
        topic=str(session.get("topic") or "-"),
        venue=str(session.get("venue") or ""),
        district=district(region, name_of),
        day=date.fromisoformat(str(session["held_on"])),
        participants=int(session.get("participants", 0)),
        by_category=dict(session.get("by_category") or {}),
        narasumber=narasumber,
        summary=str(session.get("summary") or ""),
        pilot_desa=[wilayah(code, name_of) for code in pilots],
        followups=[
            FollowupFact(
                action=str(f.get("action") or "-"),
                owner=worker_name(people, str(f.get("owner_id"))),
                due=date.fromisoformat(str(f["due_on"])) if f.get("due_on") else None,
                status=str(f.get("status")),
            )
            for f in sorted(agreed, key=_followup_order)
        ],
    )


def fgd_minutes(
    session: Doc,
    followups: Iterable[Doc],
    workers: Mapping[str, Doc],
    name_of: RegionName,
    organiser: str = DEFAULT_LETTERHEAD.office,
) -> Report:
    region = str(session.get("region_code"))
    held_on = date.fromisoformat(str(session["held_on"]))
    people = workers_of_region(workers, region)
    agreed = [f for f in followups if f.get("session_id") == session["_id"] and lies_in(f, region)]
    by_category = dict(session.get("by_category") or {})
    attendance = attendance_rows(by_category)
    narasumber = [worker_name(people, w) for w in sorted(session.get("narasumber_present_ids", []))]
    pilots = pilot_rows(session.get("pilot_desa_codes", []), region, name_of)
    return Report(
        kind=KIND,
        title=f"Berita Acara FGD: {session.get('topic')}",
        region_code=region,
        period_start=held_on,
        period_end=held_on,
        as_of=newest_fact(session, agreed),
        meta=[
            ("Kegiatan", "Forum Group Diskusi (FGD)"),
            ("Topik", str(session.get("topic") or "-")),
            ("Tempat", str(session.get("venue") or "-")),
            ("Tanggal", hari_tanggal(held_on)),
            ("Wilayah", f"{region} {name_of(region)}"),
            ("Jumlah peserta", int(session.get("participants", 0))),
            ("Narasumber", "; ".join(narasumber) or "-"),
            ("Desa percontohan", len(pilots)),
            ("Tindak lanjut", followup_tally(agreed)),
            ("Ringkasan", str(session.get("summary") or "-")),
        ],
        narrative=fgd_narrative(fgd_facts(session, agreed, people, narasumber, name_of, organiser)),
        district=district(region, name_of),
        tables=[
            Table("Kehadiran", ["Kategori", "Jumlah"], attendance),
            Table("Daftar hadir", ATTENDEE_COLUMNS, attendee_rows(session.get("attendees", []), name_of)),
            Table("Narasumber", ["No", "Nama"], [[n, name] for n, name in enumerate(narasumber, start=1)]),
            Table("Desa percontohan", PILOT_COLUMNS, pilots),
            Table("Tindak lanjut", FOLLOWUP_COLUMNS, followup_rows(agreed, people)),
        ],
        chart=Chart(
            "Peserta per kategori",
            [str(row[0]) for row in attendance],
            {"Peserta": [int(row[1]) for row in attendance]},
        ),
    )
