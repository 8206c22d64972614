"""Finding 2 (reporting): a report, a campaign's progress and the report files are scoped by their SUBJECT's region.

A Gunungkidul (34.03) district operator tries every way to get Bondowoso's (35.11) campaign report — naming their
own region with Bondowoso's campaign id, asking for it plainly, listing, reading and downloading the report an
admin built — and gets 403 (a record outside their region; an unknown one is a 404) and never a Bondowoso name.
The builder itself keeps to the subject's region: a job recorded for the wrong region is refused, and records of
another region that cite a campaign never show in it.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import openpyxl

from contracts.envelope import Envelope
from pilar_dev.testing import bearer, eventually
from services.reporting import store
from services.reporting.commands.reports import withdraw_misscoped
from services.reporting.tests.conftest import (  # noqa: F401 (fixtures)
    ADMIN,
    Publish,
    Reporting,
    fed,
    publish,
    reporting,
)
from services.reporting.tests.scenario import at, envelope

GUNUNGKIDUL = bearer("district_operator", "34.03", sub="op-gk")
GK_CAMPAIGN, GK_DESA = "cmp_gk_scope", "34.03.13.2004"
BDW_CAMPAIGN, BDW_DESA = "cmp_bdw_scope", "35.11.01.2001"
# Everything of Bondowoso's a Gunungkidul operator must never see.
SECRETS = (
    "Kampanye Rahasia Bondowoso",
    "Balai Rahasia Sucolor",
    "Ketua Rahasia Bondowoso",
    "Sekretaris Rahasia Bondowoso",
    "WKSBM Rahasia Sucolor",
    "Narasumber Rahasia Bondowoso",
)


def _campaign(campaign_id: str, name: str, region: str, desa: str, narasumber: str) -> list[Envelope]:
    """A campaign with one session held and one WKSBM formed citing it, and its narasumber."""
    day = date(2020, 11, 30)
    session, institution = f"ses_{campaign_id}", f"ins_{campaign_id}"
    wksbm = "WKSBM Rahasia Sucolor" if region == "35.11" else "WKSBM Kampung"
    chair = "Rahasia Bondowoso" if region == "35.11" else "Kampung"
    board = [{"role": r, "name": f"{r.title()} {chair}"} for r in ("ketua", "sekretaris", "bendahara")]
    worker = f"wrk_{campaign_id}"
    plan = {
        "session_id": session,
        "campaign_id": campaign_id,
        "kind": "penyuluhan",
        "topic": "Penumbuhan WKSBM",
        "region_code": desa,
        "venue": "Balai Rahasia Sucolor" if region == "35.11" else "Balai Desa Kampung",
        "starts_at": "2020-11-30T02:00:00Z",
        "ends_at": "2020-11-30T05:00:00Z",
        "narasumber_ids": [worker],
    }
    return [
        envelope(
            "worker_registered",
            {"worker_id": worker, "role": "NARASUMBER", "name": narasumber, "region_code": region},
            region=region,
            aggregate=worker,
            version=1,
            at=at(date(2020, 11, 1)),
        ),
        envelope(
            "campaign_planned",
            {
                "campaign_id": campaign_id,
                "name": name,
                "topic": "Penumbuhan WKSBM",
                "region_code": region,
                "start_date": "2020-11-20",
                "end_date": "2020-12-10",
                "desa_codes": [desa],
                "targets": {"new_wksbm": 1},
                "max_sessions_per_day": 2,
                "narasumber_ids": [worker],
            },
            region=region,
            aggregate=campaign_id,
            version=1,
            at=at(date(2020, 11, 2)),
        ),
        envelope("session_scheduled", plan, region=desa, aggregate=session, version=1, at=at(date(2020, 11, 3))),
        envelope(
            "penyuluhan_held",
            {
                **{k: plan[k] for k in ("session_id", "campaign_id", "kind", "topic", "region_code")},
                "held_on": day.isoformat(),
                "attendance": {"total": 37, "by_category": {"kader": 37}},
                "narasumber_present_ids": [worker],
            },
            region=desa,
            aggregate=session,
            version=2,
            at=at(day, 15),
        ),
        envelope(
            "WKSBM_formed",
            {
                "institution_id": institution,
                "kind": "WKSBM",
                "name": wksbm,
                "region_code": desa,
                "formed_on": day.isoformat(),
                "board": board,
                "member_ids": ["ins_member"],
                "session_id": session,
                "campaign_id": campaign_id,
            },
            region=desa,
            aggregate=institution,
            version=2,
            at=at(day, 17),
        ),
    ]


def _stray_records_citing_gunungkidul() -> list[Envelope]:
    """A session and a WKSBM in Bondowoso that claim Gunungkidul's campaign (a bug or a forgery upstream)."""
    forged = _campaign("cmp_stray", "Kampanye Rahasia Bondowoso", "35.11", BDW_DESA, "Narasumber Rahasia Bondowoso")
    out = []
    for event in forged:
        if event.event_type in {"session_scheduled", "penyuluhan_held", "WKSBM_formed"}:
            payload = {**event.payload, "campaign_id": GK_CAMPAIGN}
            out.append(event.model_copy(update={"payload": payload}))
    return out


def _mixed_job(report_id: str, status: str) -> dict[str, Any]:
    """A campaign report job recorded for Gunungkidul but about Bondowoso's campaign."""
    return {
        "_id": report_id,
        "kind": "campaign",
        "title": "Laporan Kampanye: Kampanye Rahasia Bondowoso" if status == "done" else None,
        "region_code": "34.03",
        "regions": ["34", "34.03"],
        "period_start": None,
        "period_end": None,
        "campaign_id": BDW_CAMPAIGN,
        "trigger_event_id": None,
        "requested_by": "op-gk",
        "created_at": at(date(2020, 12, 1)),
        "status": status,
        "formats": ["csv"] if status == "done" else [],
        "version": 1,
        "lease_until": None,
        "attempts": 0,
    }


def _texts(data: bytes, fmt: str) -> str:
    if fmt == "csv":
        return "\n".join(",".join(row) for row in csv.reader(io.StringIO(data.decode())))
    book = openpyxl.load_workbook(io.BytesIO(data))
    return "\n".join(str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row if c)


async def _built(service: Reporting, report_id: str) -> dict[str, Any]:
    found: dict[str, Any] = {}

    async def settled() -> bool:
        nonlocal found
        found = await service.get(f"/reports/{report_id}")
        return found["status"] in ("done", "failed")

    await eventually(settled, timeout=60, what=f"report {report_id} to be built")
    return found


async def _assert_no_secrets(service: Reporting, report_id: str, headers: dict[str, str]) -> None:
    for fmt in ("xlsx", "csv"):
        response = await service.http.get(f"/reports/{report_id}/download", params={"format": fmt}, headers=headers)
        if response.status_code == 200:
            text = _texts(response.content, fmt)
            assert not [s for s in SECRETS if s in text], (report_id, fmt)
        else:
            assert not [s for s in SECRETS if s in response.text], (report_id, fmt)


async def test_a_district_operator_never_gets_another_regions_campaign_report(
    reporting: Reporting,  # noqa: F811 (the fixture)
    publish: Publish,  # noqa: F811
) -> None:
    bondowoso = _campaign(BDW_CAMPAIGN, "Kampanye Rahasia Bondowoso", "35.11", BDW_DESA, "Narasumber Rahasia Bondowoso")
    gunungkidul = _campaign(GK_CAMPAIGN, "Kampanye Gunungkidul", "34.03", GK_DESA, "Narasumber Gunungkidul")
    await fed(reporting, publish, bondowoso + gunungkidul + _stray_records_citing_gunungkidul())

    # Asking for Bondowoso's campaign under one's own region, or plainly: 403, naming nothing of the campaign.
    for body in (
        {"kind": "campaign", "campaign_id": BDW_CAMPAIGN, "region_code": "34.03"},
        {"kind": "campaign", "campaign_id": BDW_CAMPAIGN, "region_code": "34.03.13.2004"},
        {"kind": "campaign", "campaign_id": BDW_CAMPAIGN},
    ):
        response = await reporting.http.post("/reports", json=body, headers=GUNUNGKIDUL)
        assert response.status_code == 403, (body, response.status_code, response.text)
        assert response.json()["message"] == f"campaign {BDW_CAMPAIGN} is outside your region"
    progress = await reporting.http.get(f"/campaigns/{BDW_CAMPAIGN}/progress", headers=GUNUNGKIDUL)
    assert progress.status_code == 403, progress.text
    assert progress.json()["message"] == f"campaign {BDW_CAMPAIGN} is outside your region"
    unknown = await reporting.http.get("/campaigns/cmp_nope/progress", headers=GUNUNGKIDUL)
    assert unknown.status_code == 404

    # The report an admin builds for Bondowoso is Bondowoso's: not listed, not readable, not downloadable.
    made = await reporting.http.post("/reports", json={"kind": "campaign", "campaign_id": BDW_CAMPAIGN}, headers=ADMIN)
    assert made.status_code == 202, made.text
    assert made.json()["region_code"] == "35.11"
    bdw_report = (await _built(reporting, made.json()["id"]))["id"]
    state = await reporting.http.get(f"/reports/{bdw_report}", headers=GUNUNGKIDUL)
    assert state.status_code == 403 and state.json()["message"] == f"report {bdw_report} is outside your region"
    for fmt in ("xlsx", "pdf", "csv"):
        download = await reporting.http.get(
            f"/reports/{bdw_report}/download", params={"format": fmt}, headers=GUNUNGKIDUL
        )
        assert download.status_code == 403, (fmt, download.status_code)
        assert not [s for s in (*SECRETS, "35.11") if s in download.text], fmt

    # Gunungkidul's own campaign report leaves out the Bondowoso session and WKSBM that cite its campaign.
    own = await reporting.http.post(
        "/reports", json={"kind": "campaign", "campaign_id": GK_CAMPAIGN, "region_code": "34.03"}, headers=GUNUNGKIDUL
    )
    assert own.status_code == 202, own.text
    assert (await _built(reporting, own.json()["id"]))["status"] == "done"
    mine = await reporting.get(f"/campaigns/{GK_CAMPAIGN}/progress", GUNUNGKIDUL)
    assert mine["sessions"]["held"] == 1 and mine["participants"]["total"] == 37
    assert mine["targets"]["new_wksbm"]["institution_ids"] == [f"ins_{GK_CAMPAIGN}"]

    # Every report Gunungkidul can list (its campaign report, its monthly reports) holds nothing of Bondowoso's.
    listed = (await reporting.get("/reports", GUNUNGKIDUL, limit=100))["items"]
    assert own.json()["id"] in {r["id"] for r in listed}
    assert bdw_report not in {r["id"] for r in listed}
    assert all(r["region_code"].startswith("34.03") for r in listed)
    for report in listed:
        assert not [s for s in SECRETS if s in str(report)]
        await _assert_no_secrets(reporting, report["id"], GUNUNGKIDUL)


async def test_the_builder_refuses_a_job_recorded_for_another_region(
    reporting: Reporting,  # noqa: F811 (the fixture)
    publish: Publish,  # noqa: F811
) -> None:
    """A job that names Gunungkidul but Bondowoso's campaign (a bad call, or one recorded before this fix) is
    never built: it fails, and its download shows nothing of Bondowoso."""
    bondowoso = _campaign(BDW_CAMPAIGN, "Kampanye Rahasia Bondowoso", "35.11", BDW_DESA, "Narasumber Rahasia Bondowoso")
    await fed(reporting, publish, bondowoso)
    await reporting.mongo.db.reports.insert_one(_mixed_job("rpt_mixed", "pending"))
    built = await _built(reporting, "rpt_mixed")
    assert built["status"] == "failed", built
    assert "outside the report's region" in built["error"]
    assert await reporting.mongo.db["report_files.files"].count_documents({"metadata.report_id": "rpt_mixed"}) == 0
    await _assert_no_secrets(reporting, "rpt_mixed", GUNUNGKIDUL)


async def test_reports_built_for_the_wrong_region_before_the_fix_are_withdrawn(
    reporting: Reporting,  # noqa: F811 (the fixture)
    publish: Publish,  # noqa: F811
) -> None:
    """A mixed report already built (the old code built Bondowoso's campaign under Gunungkidul's region) is
    withdrawn at start-up: no title, no files, nothing of Bondowoso in the list or the download."""
    bondowoso = _campaign(BDW_CAMPAIGN, "Kampanye Rahasia Bondowoso", "35.11", BDW_DESA, "Narasumber Rahasia Bondowoso")
    gunungkidul = _campaign(GK_CAMPAIGN, "Kampanye Gunungkidul", "34.03", GK_DESA, "Narasumber Gunungkidul")
    await fed(reporting, publish, bondowoso + gunungkidul)
    db = reporting.mongo.db
    leaked = ",".join(SECRETS).encode()
    files = await store.store_report_files(db, "rpt_old_mixed", {"csv": leaked})
    await db.reports.insert_one({**_mixed_job("rpt_old_mixed", "done"), "formats": ["csv"], "files": files})
    made = await reporting.http.post("/reports", json={"kind": "campaign", "campaign_id": GK_CAMPAIGN}, headers=ADMIN)
    assert (await _built(reporting, made.json()["id"]))["status"] == "done"

    assert await withdraw_misscoped(db) == 1
    assert await withdraw_misscoped(db) == 0  # once
    listed = (await reporting.get("/reports", GUNUNGKIDUL, limit=100))["items"]
    assert not [s for s in SECRETS if s in str(listed)]
    old = next(r for r in listed if r["id"] == "rpt_old_mixed")
    assert old["status"] == "failed" and old["title"] is None and "downloads" not in old
    refused = await reporting.http.get("/reports/rpt_old_mixed/download", params={"format": "csv"}, headers=GUNUNGKIDUL)
    assert refused.status_code == 409
    await _assert_no_secrets(reporting, "rpt_old_mixed", GUNUNGKIDUL)
    assert await db["report_files.files"].count_documents({"metadata.report_id": "rpt_old_mixed"}) == 0
    # A report of the region's own campaign stays.
    assert (await reporting.get(f"/reports/{made.json()['id']}", GUNUNGKIDUL))["status"] == "done"
