"""Reports: the automatic campaign report (XLSX checked cell by cell), PSKS handover, monthly, bad requests."""

from __future__ import annotations

import csv
import io
from typing import Any

import aio_pika
import openpyxl

from pilar_dev.testing import Tap, bearer, eventually
from services.reporting.tests.conftest import ADMIN, Publish, Reporting, fed
from services.reporting.tests.pdftext import pdf_text
from services.reporting.tests.scenario import CAMPAIGN, scenario
from services.reporting.tests.test_event_types import NEW_NAME, RENAMED, renamed
from services.reporting.tests.test_indonesian import english_words

GUNUNGKIDUL = bearer("district_operator", "34.03", sub="op-gk")
BONDOWOSO = bearer("district_operator", "35.11", sub="op-bdw")


async def _done(reporting: Reporting, report_id: str) -> dict[str, Any]:
    async def ready() -> bool:
        response = await reporting.http.get(f"/reports/{report_id}", headers=ADMIN)
        return response.status_code == 200 and response.json()["status"] == "done"

    await eventually(ready, timeout=60)
    return dict(await reporting.get(f"/reports/{report_id}"))


async def _download(reporting: Reporting, report_id: str, fmt: str, headers: dict[str, str] = ADMIN) -> bytes:
    response = await reporting.http.get(f"/reports/{report_id}/download", params={"format": fmt}, headers=headers)
    assert response.status_code == 200, response.text
    return response.content


def _rows(sheet: Any) -> list[list[Any]]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


async def test_campaign_completed_produces_the_campaign_report(
    reporting: Reporting, publish: Publish, amqp: aio_pika.abc.AbstractConnection, namespace: str
) -> None:
    tap = await Tap.open(amqp, namespace, "reporting.report_generated")
    # Everything the campaign led to is in before it completes (messages are handled concurrently, so publishing
    # in order alone would not promise that): the report shows every formation and the current boards.
    events = scenario()
    completion = [e for e in events if e.event_type == "campaign_completed"]
    await fed(reporting, publish, [e for e in events if e.event_type != "campaign_completed"])
    await fed(reporting, publish, completion)
    seen = await tap.collect(lambda s: any(e["payload"]["kind"] == "campaign" for e in s), timeout=60)
    event = next(e for e in seen if e["payload"]["kind"] == "campaign")
    completed = next(e for e in scenario() if e.event_type == "campaign_completed")
    report_id = f"rpt_campaign_{CAMPAIGN}"
    assert event["payload"]["report_id"] == report_id
    assert event["payload"]["trigger_event_id"] == str(completed.event_id)
    assert event["payload"]["formats"] == ["xlsx", "pdf", "csv"]
    assert event["payload"]["period_start"] == "2019-08-08" and event["region_code"] == "34.03"
    assert event["causation_id"] == str(completed.event_id)

    listed = await reporting.get("/reports", GUNUNGKIDUL, kind="campaign")
    assert [r["id"] for r in listed["items"]] == [report_id]
    assert (await reporting.get("/reports", BONDOWOSO, kind="campaign"))["total"] == 0
    outside = await reporting.http.get(f"/reports/{report_id}/download", headers=BONDOWOSO)
    assert outside.status_code == 403

    book = openpyxl.load_workbook(io.BytesIO(await _download(reporting, report_id, "xlsx", GUNUNGKIDUL)))
    assert book.sheetnames == ["Ringkasan", "Sesi", "Kehadiran", "Narasumber", "Lembaga terbentuk", "Sasaran", "Grafik"]
    summary = book["Ringkasan"]
    rows = _rows(summary)
    assert rows[:3] == [
        ["DINAS SOSIAL DAERAH ISTIMEWA YOGYAKARTA", None],  # the kop
        ["Jl. Janti No. 23, Banguntapan, Bantul", None],
        [None, None],
    ]
    assert summary["A4"].value == "Laporan Kampanye: Penumbuhan WKSBM Gunungkidul 2019"
    assert (summary["A5"].value, summary["B5"].value) == ("Periode", "2019-08-08 s.d. 2019-08-15")
    assert rows[6:16] == [
        ["Kampanye", "Penumbuhan WKSBM Gunungkidul 2019"],
        ["Topik", "Penumbuhan WKSBM"],
        ["Wilayah", "34.03 Kabupaten Gunungkidul"],
        ["Periode", "2019-08-08 s.d. 2019-08-15"],
        ["Status", "Selesai"],
        ["Sesi direncanakan", 11],
        ["Sesi dilaksanakan", 10],
        ["Sesi dibatalkan", 1],
        ["Peserta", 400],
        [None, None],
    ]
    # The narrative, under the figures: the office (the letterhead's) held it, where, when, how many, the target.
    assert rows[16] == ["Uraian", None]
    narrative = [row[0] for row in rows[17:]]
    assert narrative[0].startswith(
        "Dinas Sosial Daerah Istimewa Yogyakarta melaksanakan penyuluhan sosial tingkat desa “Penumbuhan WKSBM "
        "Gunungkidul 2019” dengan topik Penumbuhan WKSBM. Pelaksanaannya di 10 lokasi, semuanya ada di Kabupaten "
        "Gunungkidul mulai tanggal 8 Agustus sampai dengan tanggal 12 Agustus 2019. Dalam 1 hari dilaksanakan 2 lokasi."
    )
    assert narrative[1].startswith("Jumlah peserta yang hadir di setiap lokasi sebanyak 40 orang, seluruhnya 400 orang")
    assert narrative[2].startswith("Sasaran minimal 10 WKSBM baru tercapai")
    sessions = _rows(book["Sesi"])
    assert sessions[0] == ["Kode desa", "Desa", "Jenis", "Tanggal", "Status", "Peserta", "Narasumber"]
    assert sessions[1] == [
        "34.03.01.2001",
        "Wonosari",
        "penyuluhan",
        "2019-08-08",
        "Terlaksana",
        40,
        "Narasumber 1, Narasumber 2, Narasumber 3",
    ]
    assert len(sessions) == 12 and [r[4] for r in sessions[1:]].count("Terlaksana") == 10
    assert sessions[-1][3:5] == ["2019-08-15", "Dibatalkan"]
    assert _rows(book["Kehadiran"]) == [
        ["Kategori", "Jumlah"],
        ["Tokoh masyarakat", 100],
        ["Tokoh agama", 80],
        ["Perangkat desa", 120],
        ["Kader", 100],
    ]
    assert _rows(book["Narasumber"]) == [
        ["ID", "Nama", "Sesi hadir"],
        ["wrk_nar1", "Narasumber 1", 7],
        ["wrk_nar2", "Narasumber 2", 8],
        ["wrk_nar3", "Narasumber 3", 8],
        ["wrk_nar4", "Narasumber 4", 7],
    ]
    formed = _rows(book["Lembaga terbentuk"])
    assert formed[0] == [
        "Jenis",
        "Nama",
        "Kode wilayah",
        "Desa",
        "Tanggal terbentuk",
        "Ketua",
        "Sekretaris",
        "Bendahara",
    ]
    # The first WKSBM got a new board (board_changed) after the campaign: the report shows the current one.
    assert formed[1] == [
        "WKSBM",
        "WKSBM 34.03.01.2001",
        "34.03.01.2001",
        "Wonosari",
        "2019-08-08",
        "Ketua 99",
        "Sekretaris 99",
        "Bendahara 99",
    ]
    assert len(formed) == 11
    assert _rows(book["Sasaran"]) == [
        ["Sasaran", "Target", "Tercapai", "Terpenuhi"],
        ["WKSBM baru", 10, 10, "Ya"],
        ["Peserta per sesi", 40, 40, "Ya"],
    ]
    chart_data = _rows(book["Grafik"])
    assert chart_data[0] == ["Label", "Peserta", "WKSBM terbentuk"]
    assert chart_data[1] == ["Wonosari", 40, 1] and len(chart_data) == 11

    pdf = await _download(reporting, report_id, "pdf")
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Subtype /Image") == 3  # the logo, the chart and its mask
    text = pdf_text(pdf).splitlines()
    assert text[:3] == [
        "DINAS SOSIAL DAERAH ISTIMEWA YOGYAKARTA",
        "Jl. Janti No. 23, Banguntapan, Bantul",
        "Laporan Kampanye: Penumbuhan WKSBM Gunungkidul 2019",
    ]
    flowing = " ".join(text)
    assert all(paragraph in flowing for paragraph in narrative)
    assert text[-4:] == [
        "Wonosari, 16 Agustus 2019",
        "Kepala Seksi Penyuluhan Sosial",
        "Budhi Wibowo",
        "NIP. 19650101 199003 1 001",
    ]
    csv_text = (await _download(reporting, report_id, "csv")).decode()
    lines = list(csv.reader(io.StringIO(csv_text)))
    assert ["# Sasaran"] in lines and ["WKSBM baru", "10", "10", "Ya"] in lines
    assert [[paragraph] for paragraph in narrative] == lines[lines.index(["# Uraian"]) + 1 :][: len(narrative)]
    xlsx_text = " ".join(str(c) for sheet in book.worksheets for row in _rows(sheet) for c in row if c)
    for fmt, shown in (("pdf", flowing), ("csv", csv_text), ("xlsx", xlsx_text)):
        assert english_words(shown) == [], fmt

    # Same inputs → same report: an on-demand campaign report is byte-identical.
    again = await reporting.http.post(
        "/reports", json={"kind": "campaign", "campaign_id": CAMPAIGN}, headers=GUNUNGKIDUL
    )
    assert again.status_code == 202, again.text
    await _done(reporting, again.json()["id"])
    for fmt in ("xlsx", "pdf", "csv"):
        assert await _download(reporting, again.json()["id"], fmt) == await _download(reporting, report_id, fmt), fmt

    # Month end: a monthly report for every district with activity (the timers are long past due).
    monthly = await _done(reporting, "rpt_monthly_34.03_2019-08")
    assert monthly["period_start"] == "2019-08-01" and monthly["period_end"] == "2019-08-31"
    book = openpyxl.load_workbook(io.BytesIO(await _download(reporting, "rpt_monthly_34.03_2019-08", "xlsx")))
    assert _rows(book["Per kecamatan"])[1:] == [
        ["34.03.01", "Wonosari", 5, 200, 5, 1],
        ["34.03.02", "Nglipar", 5, 200, 5, 0],
    ]
    await _done(reporting, "rpt_monthly_35.11_2020-11")
    # One month-end timer per month with activity; the reports' own events don't order next month's reports.
    months = await reporting.mongo.db.timers.distinct("key", {"kind": "monthly_district"})
    assert sorted(months) == ["2019-08", "2019-09", "2020-11", "2020-12"]


async def test_psks_handover_lists_the_institutions_formed_with_their_boards(
    reporting: Reporting, publish: Publish
) -> None:
    await fed(reporting, publish, scenario())
    body = {
        "kind": "psks_handover",
        "region_code": "34.03.02",
        "period_start": "2019-08-01",
        "period_end": "2019-08-31",
    }
    created = await reporting.http.post("/reports", json=body, headers=GUNUNGKIDUL)
    assert created.status_code == 202, created.text
    assert created.json()["status"] == "pending" and created.json()["requested_by"] == "op-gk"
    report = await _done(reporting, created.json()["id"])
    assert report["title"] == "Serah Terima Data PSKS: Nglipar"
    rows = _rows(openpyxl.load_workbook(io.BytesIO(await _download(reporting, report["id"], "xlsx")))["Lembaga"])
    assert rows[0][-3:] == ["Pengurus lain", "Status", "Kepengurusan lengkap"]
    assert [r[2] for r in rows[1:]] == [f"34.03.02.200{i}" for i in range(1, 6)]
    assert rows[1][5:] == ["Ketua 6", "Sekretaris 6", "Bendahara 6", "anggota: Anggota 6", "Aktif", "Ya"]


async def test_bad_report_requests_get_a_clear_4xx(reporting: Reporting) -> None:
    period = {"period_start": "2019-08-01", "period_end": "2019-08-31"}
    cases: list[tuple[dict[str, Any], dict[str, str], int, str]] = [
        ({"kind": "annual_gala", "region_code": "34.03", **period}, GUNUNGKIDUL, 422, "kind"),
        ({"kind": "psks_handover", "region_code": "34.99", **period}, GUNUNGKIDUL, 422, "region_code"),
        ({"kind": "psks_handover", "region_code": "x", **period}, GUNUNGKIDUL, 422, "region_code"),
        (
            {
                "kind": "monthly_district",
                "region_code": "34.03",
                "period_start": "2019-08-31",
                "period_end": "2019-08-01",
            },
            GUNUNGKIDUL,
            422,
            "period_end",
        ),
        ({"kind": "monthly_district", "region_code": "34.03"}, GUNUNGKIDUL, 422, "period_start"),
        ({"kind": "campaign"}, GUNUNGKIDUL, 422, "campaign_id"),
        ({"kind": "campaign", "campaign_id": "cmp_unknown"}, GUNUNGKIDUL, 404, "cmp_unknown not found"),
        ({"kind": "psks_handover", "region_code": "34.03", **period, "colour": "red"}, GUNUNGKIDUL, 422, "colour"),
        ({"kind": "psks_handover", "region_code": "35.11", **period}, GUNUNGKIDUL, 403, "35.11"),
        ({"kind": "psks_handover", "region_code": "34.03", **period}, bearer("viewer", "34.03"), 403, "role"),
    ]
    for body, headers, status, word in cases:
        response = await reporting.http.post("/reports", json=body, headers=headers)
        assert response.status_code == status, (body, response.text)
        assert word in response.text, (body, response.text)
    assert (await reporting.http.get("/reports/rpt_nope", headers=ADMIN)).status_code == 404
    bad_format = await reporting.http.get("/reports/rpt_nope/download", params={"format": "docx"}, headers=ADMIN)
    assert bad_format.status_code == 422 and "format" in bad_format.text
    assert (await reporting.http.get("/summary", params={"region": "34.03.99"}, headers=ADMIN)).status_code == 422
    assert (await reporting.http.get("/summary", params={"region": "35.11"}, headers=GUNUNGKIDUL)).status_code == 403
    assert (await reporting.http.post("/reports", content=b"{not json", headers=ADMIN)).status_code == 422

    await reporting.mongo.db.reports.insert_one(
        {"_id": "rpt_broken", "kind": "campaign", "region_code": "34.03", "status": "failed", "error": "no campaign"}
    )
    failed = await reporting.http.get("/reports/rpt_broken/download", headers=GUNUNGKIDUL)
    assert failed.status_code == 409 and "failed: no campaign" in failed.text


async def test_a_renamed_wksbm_shows_its_new_name_in_the_projection_and_the_next_report(
    reporting: Reporting, publish: Publish
) -> None:
    await fed(reporting, publish, [*scenario(), renamed()])
    stored = await reporting.mongo.db.institutions.find_one({"_id": RENAMED})
    assert stored is not None and stored["name"] == NEW_NAME
    period = {"period_start": "2019-08-01", "period_end": "2019-08-31"}
    body = {"kind": "psks_handover", "region_code": "34.03.02", **period}
    created = await reporting.http.post("/reports", json=body, headers=GUNUNGKIDUL)
    assert created.status_code == 202, created.text
    await _done(reporting, created.json()["id"])
    rows = list(csv.reader(io.StringIO((await _download(reporting, created.json()["id"], "csv")).decode())))
    names = {row[1] for row in rows if len(row) > 1}
    assert NEW_NAME in names and "WKSBM 34.03.02.2001" not in names
