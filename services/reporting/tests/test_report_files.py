"""Report files live in GridFS, named by their job once it is done: a file of any size (a province's export
outgrows a document's 16 MB), streamed to the caller, and none left behind by a build that did not become the job's."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pilar_dev.testing import eventually
from pilar_runtime.mongo import Mongo
from services.reporting import store
from services.reporting.commands.reports import drop_unnamed_files
from services.reporting.domain.reports import MAX_ATTEMPTS, job_document
from services.reporting.migrations import WHOLE_REPORT_FILES, report_files_in_gridfs
from services.reporting.reports.jobs import ReportWorker
from services.reporting.reports.model import Cell, Report, Table
from services.reporting.reports.pdf import PRINTED_ROWS, to_pdf
from services.reporting.tests.conftest import ADMIN, Reporting
from services.reporting.tests.pdftext import pdf_text

REPORT = Report("psks_handover", "Serah Terima Data PSKS: Nglipar", "34.03.02", None, None, "2019-08-31", meta=[])


async def _leased_job(mongo: Mongo, report_id: str, owner: str, **fields: Any) -> dict[str, Any]:
    """A job a worker holds (the running service's worker leaves it alone while the lease lasts)."""
    job = job_document(
        report_id, "psks_handover", "34.03.02", date(2019, 8, 1), date(2019, 8, 31),
        requested_by="admin-test", created_at=datetime.now(UTC),
    )  # fmt: skip
    job |= {"lease_owner": owner, "lease_until": datetime.now(UTC) + timedelta(hours=1), **fields}
    await mongo.db[store.REPORTS].insert_one(job)
    return job


async def _files_of(mongo: Mongo, report_id: str) -> int:
    return int(await mongo.db[f"{store.REPORT_FILES}.files"].count_documents({"metadata.report_id": report_id}))


async def test_a_file_larger_than_a_document_is_stored_and_downloaded_whole(reporting: Reporting) -> None:
    worker = ReportWorker(reporting.mongo)
    job = await _leased_job(reporting.mongo, "rpt_large", worker.owner)
    large = os.urandom(17 * 1024 * 1024)  # over the 16 MB a document may hold
    await worker.store_built(job, REPORT, {"csv": large, "pdf": b"%PDF small"})

    done = await reporting.get("/reports/rpt_large")
    assert done["status"] == "done" and sorted(done["downloads"]) == ["csv", "pdf"]
    response = await reporting.http.get("/reports/rpt_large/download", params={"format": "csv"}, headers=ADMIN)
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(large)) and response.content == large
    assert response.headers["content-type"].startswith("text/csv")


async def test_a_rebuilt_report_keeps_only_its_new_files_and_a_lost_lease_leaves_none(reporting: Reporting) -> None:
    worker = ReportWorker(reporting.mongo)
    job = await _leased_job(reporting.mongo, "rpt_rebuilt", worker.owner)
    await worker.store_built(job, REPORT, {"csv": b"first", "pdf": b"%PDF first"})
    first = (await store.report(reporting.mongo.db, "rpt_rebuilt") or {})["files"]

    # A revision puts it back to be built: the job names the first build's files until the second is done.
    again = {"status": "pending", "lease_owner": worker.owner, "lease_until": datetime.now(UTC) + timedelta(hours=1)}
    await reporting.mongo.db[store.REPORTS].update_one({"_id": "rpt_rebuilt"}, {"$set": again})
    job = await store.report(reporting.mongo.db, "rpt_rebuilt") or {}
    await worker.store_built(job, REPORT, {"csv": b"second", "pdf": b"%PDF second"})
    second = (await store.report(reporting.mongo.db, "rpt_rebuilt") or {})["files"]
    assert set(second.values()).isdisjoint(first.values())
    assert await _files_of(reporting.mongo, "rpt_rebuilt") == 2
    response = await reporting.http.get("/reports/rpt_rebuilt/download", params={"format": "csv"}, headers=ADMIN)
    assert response.content == b"second"

    # A worker whose lease passed to another stores nothing for good.
    taken = await _leased_job(reporting.mongo, "rpt_taken", "reporting-another-worker")
    await worker.store_built(taken, REPORT, {"csv": b"late", "pdf": b"%PDF late"})
    assert (await store.report(reporting.mongo.db, "rpt_taken") or {})["status"] == "pending"
    assert await _files_of(reporting.mongo, "rpt_taken") == 0


async def test_a_revision_that_cannot_be_built_leaves_no_file_behind(reporting: Reporting) -> None:
    """A revised report put back to be built that fails for good serves no file: its earlier one goes."""
    worker = ReportWorker(reporting.mongo)
    job = await _leased_job(reporting.mongo, "rpt_unbuildable", worker.owner, kind="campaign", campaign_id="cmp_none")
    await worker.store_built(job, REPORT, {"csv": b"first"})
    assert await _files_of(reporting.mongo, "rpt_unbuildable") == 1
    # Its last attempt: the campaign it reports never arrives, so the running service's worker gives up on it.
    again = {"status": "pending", "lease_until": None, "attempts": MAX_ATTEMPTS - 1}
    await reporting.mongo.db[store.REPORTS].update_one({"_id": "rpt_unbuildable"}, {"$set": again})

    async def failed() -> bool:
        return (await store.report(reporting.mongo.db, "rpt_unbuildable") or {}).get("status") == "failed"

    await eventually(failed, timeout=30)
    assert (await store.report(reporting.mongo.db, "rpt_unbuildable") or {})["files"] == {}
    assert await _files_of(reporting.mongo, "rpt_unbuildable") == 0


async def test_files_no_job_names_are_dropped_once_no_build_can_still_name_them(reporting: Reporting) -> None:
    """A worker that died between storing a build's files and naming them left them behind: the next start drops
    them, but neither a job's files nor those of a build still under way."""
    db = reporting.mongo.db
    worker = ReportWorker(reporting.mongo)
    job = await _leased_job(reporting.mongo, "rpt_named", worker.owner)
    await worker.store_built(job, REPORT, {"csv": b"named"})
    await store.store_report_files(db, "rpt_named", {"pdf": b"%PDF left behind"})
    await store.store_report_files(db, "rpt_never_done", {"csv": b"left behind"})
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    await db[f"{store.REPORT_FILES}.files"].update_many({}, {"$set": {"uploadDate": an_hour_ago}})
    await store.store_report_files(db, "rpt_under_way", {"csv": b"just stored"})

    assert await drop_unnamed_files(db, before=datetime.now(UTC) - timedelta(minutes=30)) == 2
    assert (
        await _files_of(reporting.mongo, "rpt_named") == 1 and await _files_of(reporting.mongo, "rpt_never_done") == 0
    )
    assert await _files_of(reporting.mongo, "rpt_under_way") == 1
    named = await reporting.http.get("/reports/rpt_named/download", params={"format": "csv"}, headers=ADMIN)
    assert named.content == b"named"


async def test_files_the_earlier_release_kept_whole_move_to_gridfs(reporting: Reporting) -> None:
    db = reporting.mongo.db
    await _leased_job(reporting.mongo, "rpt_whole", "gone", status="done", formats=["csv"])
    await _leased_job(reporting.mongo, "rpt_whole_failed", "gone", status="failed")
    newer = await store.store_report_files(db, "rpt_whole_newer", {"csv": b"newer"})  # built by this release
    await _leased_job(reporting.mongo, "rpt_whole_newer", "gone", status="done", formats=["csv"], files=newer)
    await db[WHOLE_REPORT_FILES].insert_many(
        [
            {"_id": "rpt_whole.csv", "report_id": "rpt_whole", "format": "csv", "data": b"kept,whole"},
            {"_id": "rpt_whole_failed.csv", "report_id": "rpt_whole_failed", "format": "csv", "data": b"failed"},
            {"_id": "rpt_whole_newer.csv", "report_id": "rpt_whole_newer", "format": "csv", "data": b"older"},
        ]
    )

    async def still_working() -> None:
        return None

    await report_files_in_gridfs(db, still_working)
    await report_files_in_gridfs(db, still_working)  # once done, a no-op
    assert await db[WHOLE_REPORT_FILES].count_documents({}) == 0
    response = await reporting.http.get("/reports/rpt_whole/download", params={"format": "csv"}, headers=ADMIN)
    assert response.status_code == 200 and response.content == b"kept,whole"
    assert await _files_of(reporting.mongo, "rpt_whole") == 1
    assert await _files_of(reporting.mongo, "rpt_whole_failed") == 0
    kept = await reporting.http.get("/reports/rpt_whole_newer/download", params={"format": "csv"}, headers=ADMIN)
    assert kept.content == b"newer" and await _files_of(reporting.mongo, "rpt_whole_newer") == 1


def test_the_pdf_prints_a_long_table_up_to_its_limit_and_says_where_the_rest_is() -> None:
    rows: list[list[Cell]] = [[f"Lembaga {n:05d}", n] for n in range(PRINTED_ROWS + 3)]
    text = pdf_text(to_pdf(Report(**{**REPORT.__dict__, "tables": [Table("Lembaga", ["Nama", "Nomor"], rows)]})))
    assert f"Lembaga {PRINTED_ROWS - 1:05d}" in text and f"Lembaga {PRINTED_ROWS:05d}" not in text
    assert "Tabel ini memuat 2.003 baris" in " ".join(text.split())
    assert "Data lengkap ada di berkas XLSX dan CSV" in " ".join(text.split())
