"""A record's history from the event store, and a campaign report revised by sessions reported after the campaign
completed (seed 001's Gunungkidul WKSBM campaign, entered late)."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import aio_pika
import openpyxl

from contracts.envelope import Envelope
from pilar_dev.testing import Tap, bearer, eventually
from services.reporting.tests.conftest import ADMIN, Publish, Reporting, fed
from services.reporting.tests.scenario import CAMPAIGN, DESA, at, envelope, scenario

GUNUNGKIDUL = bearer("district_operator", "34.03", sub="op-gk")
VIEWER = bearer("viewer", "34.03", sub="viewer-gk")
BONDOWOSO = bearer("district_operator", "35.11", sub="op-bdw")
PHONE = "081227003333"
EMAIL = "sri.narasumber@example.id"


def _narasumber_with_contacts() -> list[Envelope]:
    """A narasumber of the campaign registered with phone and e-mail, then moved to another phone."""
    profile = {"worker_id": "wrk_nar5", "role": "NARASUMBER", "name": "Sri Narasumber", "region_code": "34.03"}
    registered = {**profile, "phone": PHONE, "email": EMAIL}
    updated = {**profile, "phone": "081227004444", "email": EMAIL, "active": False}
    return [
        envelope(
            "worker_registered", registered, region="34.03", aggregate="wrk_nar5", version=1, at=at(date(2019, 8, 1))
        ),
        envelope("worker_updated", updated, region="34.03", aggregate="wrk_nar5", version=2, at=at(date(2019, 9, 1))),
    ]


async def test_a_records_history_oldest_first_within_the_callers_region(reporting: Reporting, publish: Publish) -> None:
    # Shuffled arrival does not change the order: a history follows the record's own versions.
    await fed(reporting, publish, list(reversed([*scenario(), *_narasumber_with_contacts()])))

    wksbm = await reporting.get("/institutions/ins_wksbm_01/history", GUNUNGKIDUL)
    assert wksbm["total"] == 4
    assert [(e["event_type"], e["aggregate_version"], e["label"]) for e in wksbm["items"]] == [
        ("institution_registered", 1, "Lembaga didaftarkan"),
        ("WKSBM_formed", 2, "WKSBM dibentuk"),
        ("board_changed", 3, "Kepengurusan diganti"),
        ("institution_status_changed", 4, "Status lembaga diubah"),
    ]
    first = wksbm["items"][0]
    assert first["actor"] == "op-gunungkidul" and first["occurred_at"].startswith("2019-08-08T09:00:00")
    # The payload as stored: the ketua's NIK and phone never reached reporting.
    assert first["payload"]["board"][0] == {"role": "ketua", "name": "Ketua 1"}

    page = await reporting.get("/institutions/ins_wksbm_01/history", GUNUNGKIDUL, limit=2, offset=2)
    assert page["total"] == 4 and [e["aggregate_version"] for e in page["items"]] == [3, 4]

    rescheduled = await reporting.get("/sessions/ses_04/history", GUNUNGKIDUL)
    assert [e["event_type"] for e in rescheduled["items"]] == [
        "session_scheduled",
        "session_rescheduled",
        "penyuluhan_held",
    ]
    campaign = await reporting.get(f"/campaigns/{CAMPAIGN}/history", GUNUNGKIDUL)
    assert [e["label"] for e in campaign["items"]] == ["Kampanye direncanakan", "Kampanye selesai"]

    for headers in (VIEWER, GUNUNGKIDUL, ADMIN):  # contacts show to nobody: reporting never kept them
        worker = await reporting.get("/workers/wrk_nar5/history", headers)
        assert [e["event_type"] for e in worker["items"]] == ["worker_registered", "worker_updated"]
        assert PHONE not in str(worker) and "081227004444" not in str(worker) and EMAIL not in str(worker)
        assert worker["items"][1]["payload"]["active"] is False

    outside = await reporting.http.get("/institutions/ins_wksbm_01/history", headers=BONDOWOSO)
    assert outside.status_code == 403 and outside.json()["detail"] == "institution ins_wksbm_01 is outside your region"
    assert (await reporting.http.get(f"/campaigns/{CAMPAIGN}/history", headers=BONDOWOSO)).status_code == 403
    # A record of another kind is not this kind's record.
    assert (await reporting.http.get("/workers/ins_wksbm_01/history", headers=ADMIN)).status_code == 404
    assert (await reporting.http.get("/sessions/ses_nope/history", headers=ADMIN)).status_code == 404
    bad_page = await reporting.http.get("/sessions/ses_01/history", params={"limit": 0}, headers=ADMIN)
    assert bad_page.status_code == 422 and "limit" in bad_page.text

    plan = (
        await reporting.mongo.db.events.find({"aggregate_id": "ses_04"})
        .sort([("aggregate_version", 1), ("_id", 1)])
        .explain()
    )
    assert "aggregate_id_1_aggregate_version_1__id_1" in str(plan)


# The Gunungkidul campaign entered late: its period ended (2019-08-15) with the two Nglipar sessions of 12 August
# not yet reported, so it completed by its timer; they are reported on 20 and 21 August.
LATE = {"ses_09": date(2019, 8, 20), "ses_10": date(2019, 8, 21)}


def _entered_late() -> tuple[list[Envelope], Envelope, dict[str, Envelope]]:
    events = scenario()
    late = {e.aggregate_id: e for e in events if e.event_type == "penyuluhan_held" and e.aggregate_id in LATE}
    completed = next(e for e in events if e.event_type == "campaign_completed")
    timer_completion = completed.model_copy(
        update={
            "occurred_at": at(date(2019, 8, 16), 0),
            "payload": {**completed.payload, "reason": "period_ended", "sessions_held": 8, "participants_reached": 320},
        }
    )
    before = [e for e in events if e not in late.values() and e is not completed]
    reported = {
        session: held.model_copy(update={"occurred_at": at(LATE[session], 10)}) for session, held in late.items()
    }
    return before, timer_completion, reported


def _generated(seen: list[dict[str, Any]], version: int) -> bool:
    return any(e["payload"]["kind"] == "campaign" and e["aggregate_version"] == version for e in seen)


async def test_a_session_reported_after_its_campaign_completed_revises_the_campaign_report(
    reporting: Reporting, publish: Publish, amqp: aio_pika.abc.AbstractConnection, namespace: str
) -> None:
    tap = await Tap.open(amqp, namespace, "reporting.report_generated")
    before, completion, reported = _entered_late()
    await fed(reporting, publish, before)
    await fed(reporting, publish, [completion])
    report_id = f"rpt_campaign_{CAMPAIGN}"
    seen = await tap.collect(lambda s: _generated(s, 2), timeout=60)
    first = await reporting.get(f"/reports/{report_id}", GUNUNGKIDUL)
    assert "revised" not in first and "revision_note" not in first
    assert _summary_rows(await _xlsx(reporting, report_id))["Sesi dilaksanakan"] == 8

    await fed(reporting, publish, [reported["ses_09"]])
    seen = await tap.collect(lambda s: _generated(s, 3), timeout=60)
    event = next(e for e in seen if e["aggregate_version"] == 3)
    assert event["causation_id"] == event["payload"]["trigger_event_id"] == str(reported["ses_09"].event_id)
    revised = await _done_at(reporting, report_id, version=3)
    note = (
        "Laporan ini telah direvisi pada 20 Agustus 2019. Perubahan: sesi penyuluhan di Pengkol "
        f"({DESA[8]}) tanggal 12 Agustus 2019 dilaporkan setelah kampanye selesai (20 Agustus 2019)."
    )
    assert revised["revised"] is True and revised["revision_note"] == note
    assert revised["as_of"] == "2019-08-20T03:00:00+00:00"  # the newest fact it reflects: the late report
    assert [r["event_id"] for r in revised["revisions"]] == [str(reported["ses_09"].event_id)]
    book = await _xlsx(reporting, report_id)
    assert book["Ringkasan"]["A6"].value == note
    assert _summary_rows(book)["Sesi dilaksanakan"] == 9 and _summary_rows(book)["Peserta"] == 360
    progress = await reporting.get(f"/campaigns/{CAMPAIGN}/progress", GUNUNGKIDUL)
    assert progress["sessions"]["held"] == 9 and progress["participants"]["total"] == 360
    csv_text = (await _file(reporting, report_id, "csv")).decode()
    assert f"Revisi,{note}" in csv_text

    # The next day's report revises it again: the note names the latest date and both changes.
    await fed(reporting, publish, [reported["ses_10"]])
    await tap.collect(lambda s: _generated(s, 4), timeout=60)
    again = await _done_at(reporting, report_id, version=4)
    assert again["revision_note"].startswith("Laporan ini telah direvisi pada 21 Agustus 2019. Perubahan: sesi")
    assert again["revision_note"].endswith(
        f"(20 Agustus 2019); sesi penyuluhan di Kedungkeris ({DESA[9]}) tanggal 12 Agustus 2019 dilaporkan setelah "
        "kampanye selesai (21 Agustus 2019)."
    )
    assert _summary_rows(await _xlsx(reporting, report_id))["Sesi dilaksanakan"] == 10
    assert (await reporting.get(f"/campaigns/{CAMPAIGN}/progress", GUNUNGKIDUL))["participants"]["total"] == 400
    history = await reporting.get("/sessions/ses_10/history", GUNUNGKIDUL)
    assert history["items"][-1]["occurred_at"].startswith("2019-08-21T03:00:00")


def _summary_rows(book: Any) -> dict[str, Any]:
    return {row[0]: row[1] for row in book["Ringkasan"].iter_rows(min_row=7, values_only=True)}


async def _file(reporting: Reporting, report_id: str, fmt: str) -> bytes:
    response = await reporting.http.get(f"/reports/{report_id}/download", params={"format": fmt}, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.content


async def _xlsx(reporting: Reporting, report_id: str) -> Any:
    return openpyxl.load_workbook(io.BytesIO(await _file(reporting, report_id, "xlsx")))


async def _done_at(reporting: Reporting, report_id: str, version: int) -> dict[str, Any]:
    """The report once its given version is built (the job's version counts its builds, from 1)."""

    async def built() -> bool:
        job = await reporting.mongo.db.reports.find_one({"_id": report_id})
        return job is not None and job["status"] == "done" and job["version"] == version

    await eventually(built, timeout=60, what=f"version {version} of {report_id}")
    return dict(await reporting.get(f"/reports/{report_id}", GUNUNGKIDUL))
