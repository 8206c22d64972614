"""The report worker is a leased poller: it stops when asked, and a woken worker builds at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from pilar_runtime.mongo import Mongo
from services.reporting import store
from services.reporting.domain.reports import job_document
from services.reporting.reports.jobs import ReportWorker


async def test_the_report_worker_stops_promptly_in_its_sleep(mongo: Mongo) -> None:
    worker = ReportWorker(mongo, poll_seconds=60)
    task = asyncio.create_task(worker.run())
    await asyncio.sleep(0.2)
    await worker.stop()
    await asyncio.wait_for(task, timeout=2)


async def test_a_woken_worker_takes_a_new_job_at_once(mongo: Mongo) -> None:
    await store.ensure_indexes(mongo.db)
    worker = ReportWorker(mongo, poll_seconds=60)
    task = asyncio.create_task(worker.run())
    await asyncio.sleep(0.2)  # the first turn found nothing: asleep for a minute
    job = job_document(
        "rpt_wake",
        "psks_handover",
        "34.03",
        date(2019, 8, 1),
        date(2019, 8, 31),
        requested_by="test",
        created_at=datetime.now(UTC),
    )
    await mongo.transact(lambda uow: store.add_report(uow, job))
    worker.wake()
    for _ in range(400):  # rendering may take a while on a busy machine; the poll alone would take a minute
        found = await mongo.db[store.REPORTS].find_one({"_id": "rpt_wake"})
        if found and found["status"] != "pending":
            break
        await asyncio.sleep(0.05)
    await worker.stop()
    await asyncio.wait_for(task, timeout=5)
    assert found is not None and found["status"] == "done", found
