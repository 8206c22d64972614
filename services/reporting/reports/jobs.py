"""Report jobs: recorded in the caller's transaction (an event handler, a timer, a POST), built later by a
background worker so that generation never blocks event handling.

A job is a document of ``reports`` with ``status`` pending → done | failed. The worker takes a job under a lease
(two replicas never build the same one), renders it off the event loop, then in one transaction stores the
files, marks the job done and emits ``report_generated`` through the outbox.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

import structlog
from bson import Binary

from contracts.events.reporting import ReportGenerated
from pilar_runtime.events import new_event
from pilar_runtime.logs import bound_contextvars
from pilar_runtime.mongo import Mongo, UnitOfWork
from pilar_runtime.poller import LeasedPoller
from pilar_runtime.regions import RegionError, ancestors, is_within, lookup
from services.reporting.domain.projection import INSTITUTIONS, REGULATIONS, SESSIONS, WORKERS
from services.reporting.reports import content
from services.reporting.reports.render import FORMATS, RENDERERS
from services.reporting.store import REPORT_FILES, REPORTS, Db

log = structlog.get_logger("reporting.reports")


MAX_ATTEMPTS = 5  # with waits of 2, 4, 8, 16 s between them


class ReportUnavailable(Exception):
    """The report can't be built from what reporting knows (e.g. the campaign was never planned)."""


class ReportRefused(Exception):
    """The report must not be built: its subject lies outside the region it was recorded for."""


def job_document(
    report_id: str,
    kind: str,
    region_code: str,
    period_start: date | None,
    period_end: date | None,
    *,
    requested_by: str,
    created_at: datetime,
    trigger_event_id: str | None = None,
    campaign_id: str | None = None,
) -> dict[str, Any]:
    return {
        "_id": report_id,
        "kind": kind,
        "title": None,
        "region_code": region_code,
        "regions": ancestors(region_code),
        "period_start": period_start.isoformat() if period_start else None,
        "period_end": period_end.isoformat() if period_end else None,
        "campaign_id": campaign_id,
        "trigger_event_id": trigger_event_id,
        "requested_by": requested_by,
        "created_at": created_at,
        "status": "pending",
        "formats": [],
        "version": 1,
        "lease_until": None,
        "attempts": 0,
    }


async def request(uow: UnitOfWork, job: dict[str, Any]) -> bool:
    """Record a job unless one with the same id exists (automatic reports have ids derived from their
    trigger, so a second trigger does not build the report twice); True when recorded."""
    if await uow.db[REPORTS].find_one({"_id": job["_id"]}, {"_id": 1}, session=uow.session):
        return False
    await uow.db[REPORTS].insert_one(job, session=uow.session)
    log.info("report.requested", report_id=job["_id"], kind=job["kind"])
    return True


async def withdraw_misscoped(db: Db) -> int:
    """Campaign reports recorded for a region that does not hold their campaign (possible before reports were
    scoped by their subject) may carry another region's names: mark them failed, drop their files, clear their
    title. Run at start-up; a no-op once done. Returns how many were withdrawn."""
    withdrawn = 0
    async for job in db[REPORTS].find(
        {"kind": "campaign", "withdrawn": {"$ne": True}}, {"campaign_id": 1, "region_code": 1}
    ):
        campaign = await db["campaigns"].find_one({"_id": job["campaign_id"]}, {"region_code": 1})
        if campaign is None or is_within(str(campaign.get("region_code")), job["region_code"]):
            continue
        await db[REPORT_FILES].delete_many({"report_id": job["_id"]})
        await db[REPORTS].update_one(
            {"_id": job["_id"]},
            {
                "$set": {
                    "status": "failed",
                    "withdrawn": True,
                    "title": None,
                    "formats": [],
                    "error": "withdrawn: the campaign lies outside the report's region",
                }
            },
        )
        log.warning("report.withdrawn", report_id=job["_id"])
        withdrawn += 1
    return withdrawn


@lru_cache(maxsize=4096)
def region_name(code: str) -> str:
    try:
        found = lookup(code)
    except RegionError:
        return ""
    return found.name if found else ""


def missing_sessions(campaign: dict[str, Any], sessions: list[dict[str, Any]]) -> int:
    """How many sessions outreach counted at completion that reporting has not seen (yet) in that state."""
    reported = campaign.get("reported_sessions", {})
    held = sum(1 for s in sessions if s.get("status") == "held")
    cancelled = sum(1 for s in sessions if s.get("status") == "cancelled")
    gaps = (
        reported.get("planned", 0) - len(sessions),
        reported.get("held", 0) - held,
        reported.get("cancelled", 0) - cancelled,
    )
    return max(0, *gaps)


async def build_content(db: Db, job: dict[str, Any], *, final: bool = False) -> content.Report:
    """Read what the report needs from the projections and shape it (pure) into a Report. Unless ``final``,
    a campaign report waits (ReportUnavailable) for session events that outreach counted but have not arrived."""
    region = {"regions": job["region_code"]}
    if job["kind"] == "campaign":
        campaign = await db["campaigns"].find_one({"_id": job["campaign_id"]})
        if campaign is None or "start_date" not in campaign:
            raise ReportUnavailable(f"campaign {job['campaign_id']} was never planned (no campaign_planned event)")
        # The report's scope is its subject's region: a campaign outside the job's region is never reported there,
        # and nothing outside the campaign's own region is read (content.campaign_report filters again).
        if not is_within(str(campaign.get("region_code")), job["region_code"]):
            raise ReportRefused(f"campaign {campaign['_id']} lies outside the report's region {job['region_code']}")
        within = {"regions": campaign["region_code"]}
        sessions = await db[SESSIONS].find({"campaign_id": campaign["_id"], **within}).to_list(None)
        institutions = (
            await db[INSTITUTIONS]
            .find(
                {
                    "kind": {"$in": ["WKSBM", "POKJA"]},
                    "$or": [{"campaign_id": campaign["_id"]}, {"region_code": {"$in": campaign.get("desa_codes", [])}}],
                    **within,
                }
            )
            .to_list(None)
        )
        worker_ids = set(campaign.get("narasumber_ids", []))
        for s in sessions:
            worker_ids.update(s.get("narasumber_ids", []), s.get("narasumber_present_ids", []))
        missing = missing_sessions(campaign, sessions)
        if missing and not final:
            raise ReportUnavailable(f"campaign {campaign['_id']}: {missing} session event(s) not arrived yet")
        workers = {w["_id"]: w for w in await db[WORKERS].find({"_id": {"$in": sorted(worker_ids)}}).to_list(None)}
        return content.campaign_report(campaign, sessions, institutions, workers, region_name)
    start, end = date.fromisoformat(job["period_start"]), date.fromisoformat(job["period_end"])
    formed = {**region, "formed_on": {"$gte": start.isoformat(), "$lte": end.isoformat()}}
    institutions = await db[INSTITUTIONS].find(formed).to_list(None)
    if job["kind"] == "psks_handover":
        return content.psks_handover(job["region_code"], start, end, institutions, region_name)
    held = {**region, "status": "held", "held_on": {"$gte": start.isoformat(), "$lte": end.isoformat()}}
    sessions = await db[SESSIONS].find(held).to_list(None)
    adopted = {**region, "adopted_on": {"$gte": start.isoformat(), "$lte": end.isoformat()}}
    regulations = await db[REGULATIONS].find(adopted).to_list(None)
    return content.monthly_district(job["region_code"], start, end, sessions, institutions, regulations, region_name)


def render_all(report: content.Report) -> dict[str, bytes]:
    return {fmt: RENDERERS[fmt](report) for fmt in FORMATS}


class ReportWorker(LeasedPoller):
    failure_event = "report.worker_failed"

    def __init__(
        self,
        mongo: Mongo,
        *,
        poll_seconds: float = 2.0,
        lease_seconds: float = 120.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(owner_prefix="reporting", poll_seconds=poll_seconds, lease_seconds=lease_seconds, clock=clock)
        self.mongo = mongo

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
                report = await build_content(self.mongo.db, job, final=job["attempts"] >= MAX_ATTEMPTS)
                files = await asyncio.to_thread(render_all, report)
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
            await self.mongo.transact(lambda uow: self._complete(uow, job, report, files))
        return True

    async def _complete(
        self, uow: UnitOfWork, job: dict[str, Any], report: content.Report, files: dict[str, bytes]
    ) -> None:
        done = await uow.db[REPORTS].update_one(
            {"_id": job["_id"], "lease_owner": self.owner, "status": "pending"},
            {
                "$set": {
                    "status": "done",
                    "error": None,
                    "title": report.title,
                    "formats": list(files),
                    "generated_at": self.clock(),
                    "as_of": report.as_of,
                    "version": job["version"] + 1,
                }
            },
            session=uow.session,
        )
        if done.modified_count == 0:
            return  # the lease expired and another worker took it over
        for fmt, data in files.items():
            await uow.db[REPORT_FILES].replace_one(
                {"_id": f"{job['_id']}.{fmt}"},
                {
                    "report_id": job["_id"],
                    "format": fmt,
                    "data": Binary(data),
                    "size": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                },
                upsert=True,
                session=uow.session,
            )
        payload = ReportGenerated(
            report_id=job["_id"],
            kind=job["kind"],
            region_code=job["region_code"],
            period_start=report.period_start,
            period_end=report.period_end,
            formats=list(files),
            title=report.title,
            trigger_event_id=job.get("trigger_event_id"),
            download_path=f"/reports/{job['_id']}/download",
        )
        uow.emit(
            new_event(
                "report_generated",
                payload,
                actor=job["requested_by"],
                region_code=job["region_code"],
                aggregate_id=job["_id"],
                aggregate_version=job["version"] + 1,
                causation_id=job.get("trigger_event_id"),
            )
        )
        log.info("report.generated", formats=list(files))

    async def _defer(self, job: dict[str, Any], *, seconds: float, reason: str) -> None:
        await self.mongo.db[REPORTS].update_one(
            {"_id": job["_id"], "lease_owner": self.owner},
            {"$set": {"lease_until": self.clock() + timedelta(seconds=seconds), "error": reason}},
        )
        log.info("report.deferred", reason=reason, retry_in_s=seconds)

    async def _fail(self, job: dict[str, Any], reason: str) -> None:
        await self.mongo.db[REPORTS].update_one(
            {"_id": job["_id"], "lease_owner": self.owner},
            {"$set": {"status": "failed", "error": reason, "version": job["version"] + 1}},
        )
        log.warning("report.failed", reason=reason)
