"""Revised reports and history entries without I/O: when a report job is revised, what a revised report says, how
its files show it; what a history entry keeps of a stored event."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import openpyxl
from hypothesis import given
from hypothesis import strategies as st

from pilar_runtime.localtime import WIB, tanggal
from services.reporting.domain.facts import Fact
from services.reporting.domain.history import history_entry, label
from services.reporting.domain.regions import region_name
from services.reporting.domain.reports import job_document
from services.reporting.domain.revisions import late_session_reason, revised_job, revision_note
from services.reporting.reports.campaign import campaign_report
from services.reporting.reports.render import to_csv, to_pdf, to_xlsx
from services.reporting.tests.pdftext import pdf_text
from services.reporting.tests.scenario import CAMPAIGN, DESA, scenario
from services.reporting.tests.test_domain import live

REPORTED = datetime(2019, 8, 20, 3, tzinfo=UTC)  # 10:00 WIB


def _job(**state: Any) -> dict[str, Any]:
    job = job_document(
        f"rpt_campaign_{CAMPAIGN}",
        "campaign",
        "34.03",
        None,
        None,
        requested_by="reporting",
        created_at=datetime(2019, 8, 15, 17, tzinfo=UTC),
        campaign_id=CAMPAIGN,
    )
    return {**job, **state}


GENERATED = {"status": "done", "version": 2, "generated_at": datetime(2019, 8, 15, 17, 1, tzinfo=UTC)}


def test_a_generated_report_is_built_again_as_a_revision() -> None:
    leased = {"lease_owner": "reporting-1", "lease_until": datetime(2019, 8, 20, tzinfo=UTC), "attempts": 3}
    changes = revised_job(_job(**GENERATED, **leased), "sesi dilaporkan terlambat", REPORTED, "evt-1")
    assert changes == {
        "status": "pending",
        "error": None,
        "lease_owner": None,  # a build in progress from older facts is not kept
        "lease_until": None,
        "attempts": 0,
        "revisions": [{"at": REPORTED, "reason": "sesi dilaporkan terlambat", "event_id": "evt-1"}],
    }
    # A second fact while the revision waits joins it, in the order the facts happened.
    pending = _job(**(GENERATED | changes))
    earlier = REPORTED - timedelta(days=1)
    joined = revised_job(pending, "laporan sesi dikoreksi", earlier, "evt-0")
    assert joined is not None and [r["event_id"] for r in joined["revisions"]] == ["evt-0", "evt-1"]
    assert revised_job(pending, "sesi dilaporkan terlambat", REPORTED, "evt-1") is None  # the same fact once


def test_nothing_to_revise_before_the_first_build_or_for_a_failed_or_withdrawn_report() -> None:
    assert revised_job(_job(), "x", REPORTED, "evt-1") is None  # its first build reads the new facts
    assert revised_job(_job(status="failed", error="no campaign"), "x", REPORTED, "evt-1") is None
    withdrawn = _job(**GENERATED) | {"status": "failed", "withdrawn": True}
    assert revised_job(withdrawn, "x", REPORTED, "evt-1") is None


def test_the_note_gives_the_latest_local_date_and_every_change() -> None:
    late_evening = datetime(2019, 8, 21, 18, tzinfo=UTC)  # already 22 August in Gunungkidul (WIB)
    revisions = [
        {"at": late_evening, "reason": "laporan sesi dikoreksi", "event_id": "evt-2"},
        {"at": REPORTED, "reason": "sesi dilaporkan terlambat", "event_id": "evt-1"},
    ]
    assert revision_note(revisions, WIB) == (
        "Laporan ini telah direvisi pada 22 Agustus 2019. Perubahan: sesi dilaporkan terlambat (20 Agustus 2019); "
        "laporan sesi dikoreksi (22 Agustus 2019)."
    )
    assert revision_note([], WIB) is None


@given(st.permutations(range(4)))
def test_the_note_does_not_depend_on_the_order_revisions_are_given(order: list[int]) -> None:
    revisions = [
        {"at": REPORTED + timedelta(hours=7 * n), "reason": f"perubahan {n}", "event_id": f"evt-{n}"} for n in range(4)
    ]
    assert revision_note([revisions[n] for n in order], WIB) == revision_note(revisions, WIB)


def test_dates_and_reasons_read_as_the_office_writes_them() -> None:
    assert tanggal(date(2019, 8, 8)) == "8 Agustus 2019" and tanggal(date(2020, 11, 30)) == "30 November 2020"
    session = {"kind": "penyuluhan", "region_code": DESA[8], "held_on": "2019-08-12"}
    assert late_session_reason(session, "Pengkol", True) == (
        f"sesi penyuluhan di Pengkol ({DESA[8]}) tanggal 12 Agustus 2019 dilaporkan setelah kampanye selesai"
    )
    fgd = {"kind": "FGD", "region_code": "35.11.01.2001", "held_on": "2020-11-30"}
    assert late_session_reason(fgd, "", False) == (
        "sesi FGD di 35.11.01.2001 tanggal 30 November 2020 diterima setelah laporan dibuat"
    )


def _campaign_report() -> Any:
    states, _ = live([Fact.of(e) for e in scenario()])
    sessions = [s for s in states["sessions"].values() if s.get("campaign_id") == CAMPAIGN]
    return campaign_report(
        states["campaigns"][CAMPAIGN], sessions, states["institutions"].values(), states["workers"], region_name
    )


def test_a_revised_report_says_so_in_every_format_and_an_unrevised_one_stays_as_it_was() -> None:
    report = _campaign_report()
    note = "Laporan ini telah direvisi pada 20 Agustus 2019. Perubahan: sesi dilaporkan terlambat (20 Agustus 2019)."
    revised = replace(report, revised=True, revision_note=note)

    summary = openpyxl.load_workbook(io.BytesIO(to_xlsx(revised)))["Ringkasan"]
    assert summary["A6"].value == note and summary["A7"].value == "Kampanye"
    assert openpyxl.load_workbook(io.BytesIO(to_xlsx(report)))["Ringkasan"]["A6"].value is None
    rows = list(csv.reader(io.StringIO(to_csv(revised).decode())))
    assert rows[2] == ["Revisi", note]
    assert "Revisi" not in to_csv(report).decode()
    text = pdf_text(to_pdf(revised))  # the paragraph wraps: its first sentence is on one line
    assert "Laporan ini telah direvisi pada 20 Agustus 2019." in text
    assert "direvisi" not in pdf_text(to_pdf(report))


def test_a_history_entry_keeps_the_stored_event_without_contacts() -> None:
    stored = {
        "_id": 7,
        "event_id": "evt-1",
        "event_type": "worker_registered",
        "occurred_at": REPORTED,
        "actor": "op-gk",
        "aggregate_id": "wrk_nar5",
        "aggregate_version": 1,
        "regions": ["34", "34.03"],
        # A store written before the personal-data rule (or by anything else) still shows no contact.
        "payload": {"worker_id": "wrk_nar5", "name": "Sri", "phone": "0812", "contacts": [{"email": "s@x.id"}]},
    }
    assert history_entry(stored) == {
        "event_id": "evt-1",
        "event_type": "worker_registered",
        "label": "Personel didaftarkan",
        "occurred_at": REPORTED,
        "actor": "op-gk",
        "aggregate_version": 1,
        "payload": {"worker_id": "wrk_nar5", "name": "Sri", "contacts": [{}]},
    }
    assert label("dragon_sighted") == "dragon_sighted"  # a type newer than the labels shows its name
