"""The report worker: builds recorded report jobs in the background, so that generation never blocks event
handling.

A job is a document of ``reports`` with ``status`` pending → done | failed. The worker takes a job under a lease
(two replicas never build the same one), renders it off the event loop, stores the files in GridFS, then in one
transaction names them in the job, marks it done and emits ``report_generated`` through the outbox.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from pilar_runtime.logs import bound_contextvars
from pilar_runtime.mongo import Mongo
from pilar_runtime.poller import LeasedPoller
from services.reporting import store
from services.reporting.commands.reports import build_report, complete_report
from services.reporting.domain.reports import MAX_ATTEMPTS, ReportRefused, ReportUnavailable
from services.reporting.reports.letterhead import DEFAULT_LETTERHEAD, Letterhead
from services.reporting.reports.model import Report
from services.reporting.reports.render import FORMATS, RENDERERS
from services.reporting.store import REPORTS

log = structlog.get_logger("reporting.reports")


def render_all(report: Report, letterhead: Letterhead) -> dict[str, bytes]:
    return {fmt: RENDERERS[fmt](report, letterhead) for fmt in FORMATS}


class ReportWorker(LeasedPoller):
    failure_event = "report.worker_failed"

    def __init__(
        self,
        mongo: Mongo,
        *,
        letterhead: Letterhead = DEFAULT_LETTERHEAD,
        poll_seconds: float = 2.0,
        lease_seconds: float = 120.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(owner_prefix="reporting", poll_seconds=poll_seconds, lease_seconds=lease_seconds, clock=clock)
        self.mongo = mongo
        self.letterhead = letterhead

    async def poll_once(self) -> bool:
        return await self.work_once()

    async def work_once(self) -> bool:
        """Build one pending report; False when there was none to take."""
        job = await self.claim_one(
            self.mongo.db[REPORTS], {"status": "pending"}, sort=[("created_at", 1), ("_id", 1)], inc={"attempts": 1}
        )
        if job is None:
            return False
        with bound_contextvars(report_id=job["_id"], report_kind=job["kind"]):
            try:
                final = job["attempts"] >= MAX_ATTEMPTS
                report = await build_report(self.mongo.db, job, final=final, organiser=self.letterhead.office)
                files = await asyncio.to_thread(render_all, report, self.letterhead)
            except ReportRefused as exc:
                await self._fail(job, str(exc))
                return True
            except ReportUnavailable as exc:
                # Events arrive out of order: the campaign_planned may still be on its way. Wait, then give up.
                if job["attempts"] >= MAX_ATTEMPTS:
                    await self._fail(job, str(exc))
                else:
                    await self._defer(job, seconds=2 ** job["attempts"], reason=str(exc))
                return True
            except Exception as exc:
                log.exception("report.build_failed", attempt=job["attempts"])
                if job["attempts"] >= MAX_ATTEMPTS:
                    await self._fail(job, f"{type(exc).__name__}: {exc}")
                return True  # otherwise its lease expires and a worker tries again
            await self.store_built(job, report, files)
        return True

    async def store_built(self, job: dict[str, Any], report: Report, files: dict[str, bytes]) -> None:
        """Store the files, then name them in the job as it is marked done. GridFS writes can't join the
        transaction, so whatever its outcome the files the job does not name afterwards are dropped: this build's
        when the lease had passed to another worker, the earlier version's when a revised report replaced it."""
        stored = await store.store_report_files(self.mongo.db, job["_id"], files)
        try:
            now = self.clock()
            await self.mongo.transact(lambda uow: complete_report(uow, job, self.owner, report, stored, now))
        finally:
            named = set(((await store.report(self.mongo.db, job["_id"])) or {}).get("files", {}).values())
            built = [*stored.values(), *(job.get("files") or {}).values()]
            await store.drop_report_files(self.mongo.db, [f for f in built if f not in named])

    async def _defer(self, job: dict[str, Any], *, seconds: float, reason: str) -> None:
        changes = {"lease_until": self.clock() + timedelta(seconds=seconds), "error": reason}
        await store.update_leased_report(self.mongo.db, job, self.owner, changes)
        log.info("report.deferred", reason=reason, retry_in_s=seconds)

    async def _fail(self, job: dict[str, Any], reason: str) -> None:
        """A failed job serves no file: an earlier version's (a revision that could not be built) goes too."""
        changes = {"status": "failed", "error": reason, "version": job["version"] + 1, "files": {}}
        if await store.update_leased_report(self.mongo.db, job, self.owner, changes):
            await store.drop_report_files(self.mongo.db, (job.get("files") or {}).values())
        log.warning("report.failed", reason=reason)
