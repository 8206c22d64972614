"""The campaign report: sessions per desa, attendance, narasumber, WKSBM/Pokja formed as a result, targets, chart.

A report shows its subject's region only, whatever it is given: sessions, institutions (and their boards),
narasumber names and desa outside the campaign's region are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from pilar_runtime.localtime import local_date, zone_of
from pilar_runtime.regions import in_region
from services.reporting.domain.summary import campaign_progress, formed_in_campaign
from services.reporting.reports.attendance import attendance_rows
from services.reporting.reports.boards import FORMED_COLUMNS, board_complete, formed_order, formed_row
from services.reporting.reports.labels import campaign_status, session_status
from services.reporting.reports.letterhead import DEFAULT_LETTERHEAD
from services.reporting.reports.model import Cell, Chart, Doc, RegionName, Report, Table, lies_in, yes_no
from services.reporting.reports.narrative.campaign import CampaignFacts, Place, Target, Visit, campaign_narrative
from services.reporting.reports.prose import district, kabupaten_of, kecamatan_of, wilayah

SESSION_COLUMNS = ["Kode desa", "Desa", "Jenis", "Tanggal", "Status", "Peserta", "Narasumber"]
TARGETS = (("WKSBM", "new_wksbm"), ("Pokja", "new_pokja"))


def _session_order(session: Doc) -> tuple[str, str]:
    return (str(session.get("starts_at") or session.get("held_on")), str(session["_id"]))


def _held(sessions: Iterable[Doc]) -> list[Doc]:
    return [s for s in sessions if s.get("status") == "held"]


def workers_of_region(workers: Mapping[str, Doc], region: str) -> dict[str, Doc]:
    """Narasumber of the campaign's region, or of a region above it (a provincial narasumber may speak there)."""
    return {
        worker_id: doc
        for worker_id, doc in workers.items()
        if in_region(str(doc.get("region_code")), region) or in_region(region, str(doc.get("region_code")))
    }


def worker_name(workers: Mapping[str, Doc], worker_id: str) -> str:
    return str(workers.get(worker_id, {}).get("name") or worker_id)


def local_day(session: Doc) -> str:
    """The day a session was planned for, in its region's local time (a Bali session at 00:30 WITA is that day)."""
    try:
        starts_at = datetime.fromisoformat(str(session.get("starts_at")))
    except ValueError:
        return ""
    stored_in_utc = starts_at.replace(tzinfo=starts_at.tzinfo or UTC)
    return local_date(stored_in_utc, zone_of(str(session.get("region_code")))).isoformat()


def session_rows(sessions: Iterable[Doc], workers: Mapping[str, Doc], name_of: RegionName) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for s in sessions:
        present = s.get("narasumber_present_ids") or s.get("narasumber_ids", [])
        code = str(s.get("region_code"))
        rows.append(
            [
                code,
                name_of(code),
                str(s.get("kind")),
                str(s.get("held_on") or local_day(s)),
                session_status(s.get("status")),
                int(s.get("participants", 0)),
                ", ".join(worker_name(workers, w) for w in sorted(present)),
            ]
        )
    return rows


def narasumber_attendance(campaign: Doc, sessions: Iterable[Doc]) -> dict[str, int]:
    """Sessions held that each narasumber attended; the campaign's own narasumber appear even with none."""
    attended: dict[str, int] = {}
    for s in _held(sessions):
        for w in s.get("narasumber_present_ids", []):
            attended[w] = attended.get(w, 0) + 1
    for w in campaign.get("narasumber_ids", []):
        attended.setdefault(w, 0)
    return dict(sorted(attended.items()))


def per_desa(campaign: Doc, sessions: Iterable[Doc], formed: Iterable[Doc]) -> dict[str, tuple[int, int]]:
    """Per desa of the campaign (and any desa a session was held or a WKSBM formed in): participants, WKSBM formed."""
    region = str(campaign.get("region_code"))
    participants = {code: 0 for code in campaign.get("desa_codes", []) if in_region(code, region)}
    wksbm: dict[str, int] = {}
    for s in _held(sessions):
        code = str(s["region_code"])
        participants[code] = participants.get(code, 0) + int(s.get("participants", 0))
    for i in formed:
        code = str(i["region_code"])
        participants.setdefault(code, 0)
        wksbm[code] = wksbm.get(code, 0) + (1 if i.get("kind") == "WKSBM" else 0)
    return {code: (participants[code], wksbm.get(code, 0)) for code in sorted(participants)}


def target_rows(targets: Mapping[str, Any]) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for label, name in TARGETS:
        t = targets[name]
        if t["target"] is not None or t["achieved"]:
            rows.append([f"{label} baru", "-" if t["target"] is None else t["target"], t["achieved"], yes_no(t["met"])])
    per_session = targets["participants_per_session"]
    if per_session["target"] is not None:
        met = per_session["achieved"] >= per_session["target"]
        rows.append(["Peserta per sesi", per_session["target"], per_session["achieved"], yes_no(met)])
    return rows


def visit(session: Doc, name_of: RegionName) -> Visit:
    code = str(session.get("region_code"))
    day = str(session.get("held_on") or local_day(session))
    held = session.get("status") == "held"
    return Visit(
        place=Place(wilayah(code, name_of), wilayah(kecamatan_of(code), name_of), name_of(kabupaten_of(code))),
        day=date.fromisoformat(day) if day else None,
        status=str(session.get("status")),
        participants=int(session.get("participants", 0)) if held else 0,
        narasumber=len(session.get("narasumber_present_ids", [])) if held else 0,
    )


def campaign_facts(
    campaign: Doc,
    shown: list[Doc],
    formed: list[Doc],
    progress: Mapping[str, Any],
    speakers: Mapping[str, Doc],
    name_of: RegionName,
    organiser: str,
) -> CampaignFacts:
    attended = narasumber_attendance(campaign, shown)
    present = [w for w, n in attended.items() if n] or list(attended)
    targets = progress["targets"]
    return CampaignFacts(
        organiser=organiser,
        name=str(campaign.get("name")),
        topic=str(campaign.get("topic")),
        status=str(campaign.get("status")),
        start=date.fromisoformat(campaign["start_date"]),
        end=date.fromisoformat(campaign["end_date"]),
        visits=[visit(s, name_of) for s in shown],
        by_category=progress["participants"]["by_category"],
        narasumber=sorted(worker_name(speakers, w) for w in present),
        targets=[
            Target(
                label,
                targets[name]["target"],
                targets[name]["achieved"],
                sum(
                    1
                    for i in formed
                    if i["_id"] in targets[name]["institution_ids"] and board_complete(i.get("board", []))
                ),
            )
            for label, name in TARGETS
        ],
        per_session_target=targets["participants_per_session"]["target"],
    )


def campaign_report(
    campaign: Doc,
    sessions: Iterable[Doc],
    institutions: Iterable[Doc],
    workers: Mapping[str, Doc],
    name_of: RegionName,
    organiser: str = DEFAULT_LETTERHEAD.office,
) -> Report:
    region = str(campaign.get("region_code"))
    shown = sorted((s for s in sessions if lies_in(s, region)), key=_session_order)
    kept = [i for i in institutions if lies_in(i, region)]
    speakers = workers_of_region(workers, region)
    progress = campaign_progress(campaign, shown, kept)
    formed = sorted(
        (i for i in kept if any(formed_in_campaign(campaign, i, kind) for kind in ("WKSBM", "POKJA"))),
        key=formed_order,
    )
    desa = per_desa(campaign, shown, formed)
    return Report(
        kind="campaign",
        title=f"Laporan Kampanye: {campaign.get('name')}",
        region_code=region,
        period_start=date.fromisoformat(campaign["start_date"]),
        period_end=date.fromisoformat(campaign["end_date"]),
        as_of=str(campaign.get("completed_at") or campaign.get("end_date")),
        meta=[
            ("Kampanye", str(campaign.get("name"))),
            ("Topik", str(campaign.get("topic"))),
            ("Wilayah", f"{region} {name_of(region)}"),
            ("Periode", f"{campaign['start_date']} s.d. {campaign['end_date']}"),
            ("Status", campaign_status(campaign.get("status"))),
            ("Sesi direncanakan", len(shown)),
            ("Sesi dilaksanakan", progress["sessions"]["held"]),
            ("Sesi dibatalkan", progress["sessions"]["cancelled"]),
            ("Peserta", progress["participants"]["total"]),
        ],
        narrative=campaign_narrative(campaign_facts(campaign, shown, formed, progress, speakers, name_of, organiser)),
        district=district(region, name_of),
        tables=[
            Table("Sesi", SESSION_COLUMNS, session_rows(shown, speakers, name_of)),
            Table(
                "Kehadiran",
                ["Kategori", "Jumlah"],
                attendance_rows(progress["participants"]["by_category"]),
            ),
            Table(
                "Narasumber",
                ["ID", "Nama", "Sesi hadir"],
                [[w, worker_name(speakers, w), n] for w, n in narasumber_attendance(campaign, shown).items()],
            ),
            Table("Lembaga terbentuk", FORMED_COLUMNS, [formed_row(i, name_of) for i in formed]),
            Table("Sasaran", ["Sasaran", "Target", "Tercapai", "Terpenuhi"], target_rows(progress["targets"])),
        ],
        chart=Chart(
            "Peserta dan WKSBM terbentuk per desa",
            [name_of(code) or code for code in desa],
            {"Peserta": [p for p, _ in desa.values()], "WKSBM terbentuk": [w for _, w in desa.values()]},
        ),
    )
