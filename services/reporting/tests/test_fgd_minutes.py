"""The FGD minutes (seed 004, Bondowoso): built on FGD_held, a new version as follow-ups complete or go overdue;
pilot desa in the summary and the dashboard; attendance under the seeds' Indonesian labels."""

from __future__ import annotations

import io
import random
from datetime import date
from typing import Any

import aio_pika
import openpyxl
import pytest
from pydantic import ValidationError

from pilar_dev.testing import Tap, bearer, eventually
from pilar_runtime.localtime import hari_tanggal
from services.reporting.domain.facts import Fact
from services.reporting.domain.regions import region_name
from services.reporting.domain.reports import ReportRequest
from services.reporting.domain.summary import pilot_desa
from services.reporting.reports.fgd import fgd_minutes, followup_tally, report_id
from services.reporting.reports.render import to_csv, to_pdf, to_xlsx
from services.reporting.tests.conftest import ADMIN, Publish, Reporting, fed
from services.reporting.tests.scenario import BONDOWOSO, PILOT_DESA, at, envelope, scenario
from services.reporting.tests.test_domain import live

GUNUNGKIDUL = bearer("district_operator", "34.03", sub="op-gk")
BONDOWOSO_OPERATOR = bearer("district_operator", BONDOWOSO, sub="op-bdw")
MINUTES = report_id("ses_fgd")
KEHADIRAN = [
    ["Kategori", "Jumlah"],
    ["Pendamping PKH", 37],
    ["TKSK", 23],
    ["PSM", 3],
    ["Forkopimda", 6],
    ["DPRD", 5],
    ["Camat", 23],
    ["Kepala desa", 10],
    ["Tagana", 4],
    ["Sakti Peksos", 4],
    ["Ormas", 3],
    ["RMB (Relawan Muda Bondowoso)", 2],
]
PILOTS: list[list[Any]] = [
    ["No", "Kode desa", "Desa", "Kecamatan"],
    [1, "35.11.01.2001", "Sucolor", "Maesan"],
    [2, "35.11.02.2001", "Sukosari", "Tamanan"],
    [3, "35.11.03.2001", "Kembang", "Tlogosari"],
    [4, "35.11.04.2001", "Sukosari Lor", "Sukosari"],
    [5, "35.11.05.2001", "Alas Sumur", "Pujer"],
    [6, "35.11.06.2002", "Tegal Mijin", "Grujugan"],
    [7, "35.11.07.1009", "Curahdami", "Curahdami"],
    [8, "35.11.08.1011", "Tenggarang", "Tenggarang"],
    [9, "35.11.09.2001", "Lombok Kulon", "Wonosari"],
    [10, "35.11.10.2001", "Wonokusumo", "Tapen"],
]
DAFTAR_HADIR: list[list[Any]] = [
    ["No", "Nama", "Kategori", "Lembaga", "Desa"],
    [1, "Ahmad Fauzi", "Camat", "Kecamatan Maesan", "-"],
    [2, "Siti Rohmah", "Kepala desa", "Desa Sucolor", "Sucolor"],
    [3, "Dwi Prasetyo", "RMB (Relawan Muda Bondowoso)", "Relawan Muda Bondowoso", "-"],
]
FOLLOWUP_HEADINGS = ["No", "Tindak lanjut", "Penanggung jawab", "Batas waktu", "Status", "Tanggal selesai"]


def _states(events: list[Any] | None = None) -> dict[str, dict[str, Any]]:
    states, _ = live([Fact.of(e) for e in (events if events is not None else scenario())])
    return states


def _minutes(states: dict[str, dict[str, Any]], seed: int = 0) -> Any:
    followups = list(states["followups"].values())
    random.Random(seed).shuffle(followups)
    return fgd_minutes(states["sessions"]["ses_fgd"], followups, states["workers"], region_name)


# Pure: the minutes' contents


def test_the_minutes_of_seed_004_name_topic_venue_attendance_pilot_desa_and_follow_ups() -> None:
    report = _minutes(_states())
    assert report.kind == "fgd_minutes" and report.region_code == BONDOWOSO
    assert report.title == "Berita Acara FGD: Penanganan PPKS"
    assert (report.period_start, report.period_end) == (date(2020, 11, 30), date(2020, 11, 30))
    meta = dict(report.meta)
    assert meta["Tempat"] == "Ball Room Hotel Ijen View, Bondowoso"
    assert meta["Tanggal"] == "Senin, 30 November 2020"
    assert meta["Wilayah"] == "35.11 Kabupaten Bondowoso"
    assert meta["Jumlah peserta"] == 120
    assert meta["Narasumber"] == "Adi Krisna, SH; Budhy Santoso, Ph.D."
    assert meta["Desa percontohan"] == 10
    assert meta["Tindak lanjut"] == "2 (1 terlambat, 1 selesai)"
    assert meta["Ringkasan"].startswith("Strategi penanganan PPKS menuju Desa Melesat")
    tables = {t.name: [t.columns, *t.rows] for t in report.tables}
    assert tables["Kehadiran"] == KEHADIRAN
    assert tables["Desa percontohan"] == PILOTS
    assert tables["Daftar hadir"] == DAFTAR_HADIR
    assert tables["Tindak lanjut"] == [
        FOLLOWUP_HEADINGS,
        [1, "Tetapkan 10 desa percontohan", "TKSK Maesan", "2020-12-15", "Selesai", "2020-12-10"],
        [2, "Susun rencana monev", "TKSK Maesan", "2020-12-20", "Terlambat", "-"],
    ]
    assert report.as_of == "2020-12-20"  # the overdue follow-up's due date is the newest fact
    assert report.chart is not None and report.chart.labels[3] == "Forkopimda"


def test_the_minutes_follow_the_follow_ups_and_are_byte_identical_for_the_same_facts() -> None:
    events = scenario()
    before = [e for e in events if e.event_type not in ("followup_completed", "followup_overdue")]
    early = _minutes(_states(before))
    assert dict(early.meta)["Tindak lanjut"] == "2 (2 berjalan)"
    assert [row[4] for row in early.tables[-1].rows] == ["Berjalan", "Berjalan"]
    assert early.as_of == "2020-11-30"
    first, second = _minutes(_states(), seed=1), _minutes(_states(), seed=2)
    assert to_xlsx(first) + to_pdf(first) + to_csv(first) == to_xlsx(second) + to_pdf(second) + to_csv(second)
    text = to_csv(first).decode()
    assert "Desa percontohan" in text and "Sucolor" in text and "Ahmad Fauzi" in text
    assert "3511010101800001" not in text  # the daftar hadir names people, never their NIK


def test_the_minutes_keep_to_the_fgds_region_whatever_they_are_given() -> None:
    states = _states()
    session = {**states["sessions"]["ses_fgd"], "pilot_desa_codes": [*PILOT_DESA, "34.03.01.2001"]}
    stray = {"_id": "fup_x", "session_id": "ses_fgd", "region_code": "34.03", "action": "x", "status": "open"}
    given = fgd_minutes(session, [*states["followups"].values(), stray], states["workers"], region_name)
    assert given == _minutes(states)


def test_dates_and_tallies_read_as_the_office_writes_them() -> None:
    assert hari_tanggal(date(2019, 8, 8)) == "Kamis, 8 Agustus 2019"
    assert followup_tally([]) == "0"
    assert followup_tally([{"status": "completed"}, {"status": "completed"}]) == "2 (2 selesai)"


def test_pilot_desa_of_a_region_come_from_fgds_above_or_inside_it_never_from_another_branch() -> None:
    fgd = _states()["sessions"]["ses_fgd"]
    assert [d["code"] for d in pilot_desa([fgd], BONDOWOSO, region_name)] == PILOT_DESA
    maesan = pilot_desa([fgd], "35.11.01", region_name)
    assert maesan == [
        {
            "code": "35.11.01.2001",
            "name": "Sucolor",
            "kecamatan": "Maesan",
            "session_id": "ses_fgd",
            "topic": "Penanganan PPKS",
            "held_on": "2020-11-30",
        }
    ]
    assert pilot_desa([fgd], "34.03", region_name) == []
    # An FGD of Maesan cannot make a desa of Tamanan (another branch) a pilot desa of Tamanan's summary.
    elsewhere = {**fgd, "_id": "ses_maesan", "region_code": "35.11.01"}
    assert pilot_desa([elsewhere], "35.11.02", region_name) == []
    assert len(pilot_desa([fgd, elsewhere], "", region_name)) == 20


def test_an_fgd_minutes_request_names_its_fgd() -> None:
    with pytest.raises(ValidationError, match="session_id is required"):
        ReportRequest(kind="fgd_minutes")
    assert ReportRequest(kind="fgd_minutes", session_id="ses_fgd").session_id == "ses_fgd"


# Through the broker and the Mongo-wire server


async def _xlsx(reporting: Reporting, headers: dict[str, str] = ADMIN) -> openpyxl.Workbook:
    response = await reporting.http.get(f"/reports/{MINUTES}/download", params={"format": "xlsx"}, headers=headers)
    assert response.status_code == 200, response.text
    return openpyxl.load_workbook(io.BytesIO(response.content))


def _rows(sheet: Any) -> list[list[Any]]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


async def test_fgd_held_builds_the_minutes_and_a_completed_follow_up_makes_a_new_version(
    reporting: Reporting, publish: Publish, amqp: aio_pika.abc.AbstractConnection, namespace: str
) -> None:
    tap = await Tap.open(amqp, namespace, "reporting.report_generated")
    events = scenario()
    held = next(e for e in events if e.event_type == "FGD_held")
    await fed(reporting, publish, events)

    async def built(status: str) -> bool:
        found = await reporting.http.get(f"/reports/{MINUTES}", headers=BONDOWOSO_OPERATOR)
        if found.status_code != 200 or found.json()["status"] != "done":
            return False
        rows = _rows((await _xlsx(reporting, BONDOWOSO_OPERATOR))["Tindak lanjut"])
        return bool(rows[2][4] == status)

    await eventually(lambda: built("Terlambat"), timeout=60, what="the minutes with the overdue follow-up")
    state = await reporting.get(f"/reports/{MINUTES}", BONDOWOSO_OPERATOR)
    assert state["kind"] == "fgd_minutes" and state["session_id"] == "ses_fgd" and state["region_code"] == BONDOWOSO
    assert state["title"] == "Berita Acara FGD: Penanganan PPKS"
    book = await _xlsx(reporting, BONDOWOSO_OPERATOR)
    assert book.sheetnames == [
        "Ringkasan",
        "Kehadiran",
        "Daftar hadir",
        "Narasumber",
        "Desa percontohan",
        "Tindak lanjut",
        "Grafik",
    ]
    assert _rows(book["Daftar hadir"]) == DAFTAR_HADIR
    assert _rows(book["Ringkasan"])[6:10] == [
        ["Kegiatan", "Forum Group Diskusi (FGD)"],
        ["Topik", "Penanganan PPKS"],
        ["Tempat", "Ball Room Hotel Ijen View, Bondowoso"],
        ["Tanggal", "Senin, 30 November 2020"],
    ]
    assert _rows(book["Kehadiran"]) == KEHADIRAN
    assert _rows(book["Desa percontohan"]) == PILOTS
    assert _rows(book["Narasumber"]) == [["No", "Nama"], [1, "Adi Krisna, SH"], [2, "Budhy Santoso, Ph.D."]]
    first = await tap.collect(lambda s: any(e["payload"]["report_id"] == MINUTES for e in s), timeout=60)
    generated = [e for e in first if e["payload"]["report_id"] == MINUTES]
    assert generated[0]["payload"]["kind"] == "fgd_minutes" and generated[0]["region_code"] == BONDOWOSO
    assert generated[0]["payload"]["period_start"] == "2020-11-30"
    assert (await reporting.http.get(f"/reports/{MINUTES}", headers=GUNUNGKIDUL)).status_code == 403
    assert (await reporting.get("/reports", GUNUNGKIDUL, kind="fgd_minutes"))["total"] == 0

    # The overdue follow-up is done after all: the minutes get a new version, announced again.
    late = envelope(
        "followup_completed",
        {"followup_id": "fup_2", "session_id": "ses_fgd", "completed_on": "2021-01-05"},
        region=BONDOWOSO,
        aggregate="ses_fgd",
        version=7,
        at=at(date(2021, 1, 5)),
    )
    await fed(reporting, publish, [late])
    await eventually(lambda: built("Selesai"), timeout=60, what="the minutes' new version")
    rows = _rows((await _xlsx(reporting))["Tindak lanjut"])
    assert rows[2] == [2, "Susun rencana monev", "TKSK Maesan", "2020-12-20", "Selesai", "2021-01-05"]
    renewed = await tap.collect(lambda s: any(e["causation_id"] == str(late.event_id) for e in s), timeout=60)
    again = next(e for e in renewed if e["causation_id"] == str(late.event_id))
    assert again["payload"]["report_id"] == MINUTES
    assert again["aggregate_version"] > generated[-1]["aggregate_version"]
    assert str(held.event_id) != again["payload"]["trigger_event_id"] == str(late.event_id)


async def test_pilot_desa_show_in_the_summary_and_the_dashboard_and_minutes_can_be_asked_for(
    reporting: Reporting, publish: Publish
) -> None:
    await fed(reporting, publish, scenario())
    district = await reporting.get("/summary", BONDOWOSO_OPERATOR, region=BONDOWOSO)
    assert [(d["code"], d["name"], d["kecamatan"]) for d in district["pilot_desa"]] == [
        (row[1], row[2], row[3]) for row in PILOTS[1:]
    ]
    assert district["participants"]["by_category"]["forkopimda"] == 6
    maesan = await reporting.get("/summary", BONDOWOSO_OPERATOR, region="35.11.01")
    assert [d["name"] for d in maesan["pilot_desa"]] == ["Sucolor"]
    assert (await reporting.get("/summary", GUNUNGKIDUL))["pilot_desa"] == []

    page = await reporting.http.get("/dashboard", headers=BONDOWOSO_OPERATOR)
    assert page.status_code == 200
    pilots = page.text.split('id="pilot-desa"', 1)[1].split("</table>", 1)[0]
    assert pilots.count("<tr data-code=") == 10 and "<td>Sucolor</td><td>Maesan</td>" in pilots
    categories = page.text.split('id="by-category"', 1)[1].split("</table>", 1)[0]
    assert '<th scope="row">Forkopimda</th>' in categories and "RMB (Relawan Muda Bondowoso)" in categories

    asked = await reporting.http.post(
        "/reports", json={"kind": "fgd_minutes", "session_id": "ses_fgd"}, headers=BONDOWOSO_OPERATOR
    )
    assert asked.status_code == 202, asked.text
    assert asked.json()["session_id"] == "ses_fgd" and asked.json()["period_start"] == "2020-11-30"
    refused = [
        ({"kind": "fgd_minutes", "session_id": "ses_fgd"}, GUNUNGKIDUL, 403),
        ({"kind": "fgd_minutes", "session_id": "ses_nope"}, BONDOWOSO_OPERATOR, 404),
        ({"kind": "fgd_minutes", "session_id": "ses_01"}, ADMIN, 404),  # a penyuluhan has no minutes
        ({"kind": "fgd_minutes"}, BONDOWOSO_OPERATOR, 422),
        ({"kind": "fgd_minutes", "session_id": "ses_fgd", "region_code": "35.11.01"}, BONDOWOSO_OPERATOR, 422),
    ]
    for body, headers, status in refused:
        answered = await reporting.http.post("/reports", json=body, headers=headers)
        assert answered.status_code == status, (body, answered.text)
