"""Reports: asked for (POST, an event, a timer), read within the caller's region, built by the worker.

Reports are scoped by their subject's region: a campaign report by its campaign's region, a monthly or PSKS
report by the region asked for. A record asked for by id outside the caller's subtree answers 403; one that does
not exist, 404.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import structlog
from bson import ObjectId
from gridfs import AsyncGridOut

from contracts.events.reporting import ReportGenerated
from pilar_runtime.auth import Caller
from pilar_runtime.errors import Conflict, NotFound, Unprocessable
from pilar_runtime.events import new_event
from pilar_runtime.localtime import zone_of
from pilar_runtime.models import new_id
from pilar_runtime.mongo import Mongo, UnitOfWork
from pilar_runtime.regions import checked_region, in_region
from services.reporting import store
from services.reporting.domain.activities import months_before
from services.reporting.domain.regions import region_name
from services.reporting.domain.reports import (
    ReportRefused,
    ReportRequest,
    ReportUnavailable,
    job_document,
    missing_sessions,
    narasumber_ids,
)
from services.reporting.domain.revisions import revision_note
from services.reporting.domain.summary import campaign_progress
from services.reporting.reports.campaign import campaign_report
from services.reporting.reports.fgd import fgd_minutes
from services.reporting.reports.letterhead import DEFAULT_LETTERHEAD
from services.reporting.reports.model import Report
from services.reporting.reports.monthly import monthly_district
from services.reporting.reports.psks import psks_handover
from services.reporting.reports.registry_export import RegistryExport
from services.reporting.store import Db

log = structlog.get_logger("reporting.reports")


async def record_job(uow: UnitOfWork, job: dict[str, Any]) -> bool:
    """Record a job unless one with the same id exists (automatic reports have ids derived from their trigger, so
    a second trigger does not build the report twice); True when recorded."""
    recorded = await store.add_report(uow, job)
    if recorded:
        log.info("report.requested", report_id=job["_id"], kind=job["kind"])
    return recorded


async def visible_campaign(db: Db, caller: Caller, campaign_id: str) -> dict[str, Any]:
    """The campaign if reporting knows it (404 otherwise) and it lies in the caller's subtree (403 otherwise)."""
    campaign = await store.campaign(db, campaign_id)
    # A campaign known only from its sessions (campaign_planned not arrived yet) is not known yet.
    return caller.visible(campaign if campaign and "start_date" in campaign else None, "campaign", campaign_id)


async def progress_of(db: Db, caller: Caller, campaign_id: str) -> dict[str, Any]:
    """A campaign's sessions, participants and targets; nothing outside the campaign's region counts."""
    campaign = await visible_campaign(db, caller, campaign_id)
    sessions = await store.campaign_sessions(db, campaign)
    institutions = await store.campaign_institutions(db, campaign)
    return campaign_progress(campaign, sessions, institutions)


async def request_report(mongo: Mongo, caller: Caller, body: ReportRequest) -> dict[str, Any]:
    """Record a report job for the worker; returns the pending job."""
    period: tuple[date | None, date | None] = (body.period_start, body.period_end)
    if body.kind == "campaign":
        assert body.campaign_id is not None  # the request model requires it for a campaign report
        # A campaign report covers its campaign's region, never the one asked for.
        campaign = await visible_campaign(mongo.db, caller, body.campaign_id)
        region_code = str(campaign["region_code"])
        if body.region_code is not None and checked_region(body.region_code, "region_code") != region_code:
            raise Unprocessable(f"region_code: a campaign report covers its campaign's region {region_code}")
    elif body.kind == "fgd_minutes":
        assert body.session_id is not None  # the request model requires it for FGD minutes
        fgd = await visible_fgd(mongo.db, caller, body.session_id)
        region_code = str(fgd["region_code"])
        if body.region_code is not None and checked_region(body.region_code, "region_code") != region_code:
            raise Unprocessable(f"region_code: FGD minutes cover their FGD's region {region_code}")
        held_on = date.fromisoformat(str(fgd["held_on"]))
        period = (held_on, held_on)
    else:
        assert body.region_code is not None  # the request model requires it for the other kinds
        region_code = checked_region(body.region_code, "region_code")
        caller.require_region(region_code)
    job = job_document(
        new_id("rpt"),
        body.kind,
        region_code,
        *period,
        requested_by=caller.sub,
        created_at=datetime.now(UTC),
        campaign_id=body.campaign_id,
        session_id=body.session_id,
    )

    async def work(uow: UnitOfWork) -> None:
        await record_job(uow, job)

    await mongo.transact(work)
    return job


async def visible_fgd(db: Db, caller: Caller, session_id: str) -> dict[str, Any]:
    """An FGD reporting knows (404 otherwise), in the caller's subtree (403 otherwise), held (409 otherwise)."""
    found = await store.session(db, session_id)
    found = caller.visible(found if found and found.get("kind") == "FGD" else None, "FGD", session_id)
    if found.get("status") != "held":
        raise Conflict({"rule": "fgd_not_held", "message": f"FGD {session_id} has not been held: no minutes yet"})
    return found


async def visible_report(db: Db, caller: Caller | None, report_id: str) -> dict[str, Any]:
    """The report as the caller may have it; no caller: a signed link to this very report, checked by the route,
    opens it whatever its region."""
    found = await store.report(db, report_id)
    if caller is None:
        if found is None:
            raise NotFound(f"report {report_id} not found")
        return found
    return caller.visible(found, "report", report_id)


async def report_file(db: Db, caller: Caller | None, report_id: str, fmt: str) -> AsyncGridOut:
    """A built report's file, to stream; 409 while it is pending or when it failed."""
    found = await visible_report(db, caller, report_id)
    if found["status"] != "done":
        detail = found.get("error") or "it is still being generated"
        raise Conflict(f"report {report_id} is {found['status']}: {detail}")
    file_id = (found.get("files") or {}).get(fmt)
    stored = None if file_id is None else await store.report_file(db, file_id)
    if stored is None:
        raise NotFound(f"report {report_id} has no {fmt} file")
    return stored


async def build_report(
    db: Db, job: dict[str, Any], *, final: bool = False, organiser: str = DEFAULT_LETTERHEAD.office
) -> Report:
    """Read what the report needs from the projections and shape it (pure) into a Report, marked revised when
    facts changed it after it was generated; its narrative names ``organiser`` (the office) as who held the
    activities. Unless ``final``, a campaign report waits (ReportUnavailable) for session events that outreach
    counted but have not arrived."""
    report = await _report_content(db, job, final=final, organiser=organiser)
    revisions = job.get("revisions", [])
    note = revision_note(revisions, zone_of(job["region_code"]))
    if note is None:
        return report
    # A revised report reflects the facts that revised it: the newest is its "as of" (and its files' date).
    newest = max(r["at"] for r in revisions).isoformat()
    return replace(report, revised=True, revision_note=note, as_of=max(report.as_of, newest))


async def _report_content(db: Db, job: dict[str, Any], *, final: bool, organiser: str) -> Report:
    if job["kind"] == "campaign":
        return await _campaign_report(db, job, final=final, organiser=organiser)
    if job["kind"] == "fgd_minutes":
        return await _fgd_minutes(db, job, organiser)
    region = job["region_code"]
    if job["kind"] == "registry_export":
        return await _registry_export(db, region, job["created_at"])
    start, end = date.fromisoformat(job["period_start"]), date.fromisoformat(job["period_end"])
    institutions = await store.formed_between(db, region, start.isoformat(), end.isoformat())
    if job["kind"] == "psks_handover":
        return psks_handover(region, start, end, institutions, region_name)
    sessions = await store.held_between(db, region, start.isoformat(), end.isoformat())
    regulations = await store.adopted_between(db, region, start.isoformat(), end.isoformat())
    registered = await store.active_or_dormant(db, region, start.isoformat(), months_before(end).isoformat())
    return monthly_district(region, start, end, sessions, institutions, regulations, region_name, registered)


async def _registry_export(db: Db, region: str, asked_at: datetime) -> Report:
    """As of the region's newest registry fact; a region without any is empty as of the request."""
    newest = await store.newest_registry_event(db, region) or asked_at
    as_of = newest.astimezone(UTC).isoformat()
    export = RegistryExport(region, region_name)
    async for institution in store.institutions_exported(db, region):
        export.add_institution(institution)
    async for worker in store.workers_exported(db, region):
        export.add_worker(worker)
    return export.report(as_of)


async def _campaign_report(db: Db, job: dict[str, Any], *, final: bool, organiser: str) -> Report:
    campaign = await store.campaign(db, job["campaign_id"])
    if campaign is None or "start_date" not in campaign:
        raise ReportUnavailable(f"campaign {job['campaign_id']} was never planned (no campaign_planned event)")
    # The report's scope is its subject's region: a campaign outside the job's region is never reported there, and
    # nothing outside the campaign's own region is read (campaign_report filters again).
    if not in_region(str(campaign.get("region_code")), job["region_code"]):
        raise ReportRefused(f"campaign {campaign['_id']} lies outside the report's region {job['region_code']}")
    sessions = await store.campaign_sessions(db, campaign)
    institutions = await store.campaign_institutions(db, campaign, ["WKSBM", "POKJA"])
    missing = missing_sessions(campaign, sessions)
    if missing and not final:
        raise ReportUnavailable(f"campaign {campaign['_id']}: {missing} session event(s) not arrived yet")
    workers = await store.workers(db, narasumber_ids(campaign, sessions))
    return campaign_report(campaign, sessions, institutions, workers, region_name, organiser)


async def _fgd_minutes(db: Db, job: dict[str, Any], organiser: str) -> Report:
    session = await store.session(db, job["session_id"])
    if session is None or session.get("status") != "held" or "held_on" not in session:
        raise ReportUnavailable(f"FGD {job['session_id']} is not known as held yet (no FGD_held event)")
    if not in_region(str(session.get("region_code")), job["region_code"]):
        raise ReportRefused(f"FGD {session['_id']} lies outside the report's region {job['region_code']}")
    followups = await store.session_followups(db, session["_id"])
    people = {*session.get("narasumber_present_ids", []), *(str(f.get("owner_id")) for f in followups)}
    return fgd_minutes(session, followups, await store.workers(db, people), region_name, organiser)


async def complete_report(
    uow: UnitOfWork, job: dict[str, Any], owner: str, report: Report, files: dict[str, ObjectId], now: datetime
) -> None:
    """Mark a report done with its stored files and emit ``report_generated`` — unless the worker's lease passed
    to another worker meanwhile."""
    done = {
        "status": "done",
        "error": None,
        "title": report.title,
        "formats": list(files),
        "files": files,
        "generated_at": now,
        "as_of": report.as_of,
        "version": job["version"] + 1,
    }
    if report.revised:
        done |= {"revised": True, "revision_note": report.revision_note}
    if not await store.mark_report_done(uow, job, owner, done):
        return
    # A revised version was caused by the fact that revised it, the first by what ordered the report.
    revisions = job.get("revisions") or [{"event_id": job.get("trigger_event_id")}]
    cause = revisions[-1]["event_id"]
    payload = ReportGenerated(
        report_id=job["_id"],
        kind=job["kind"],
        region_code=job["region_code"],
        period_start=report.period_start,
        period_end=report.period_end,
        formats=list(files),
        title=report.title,
        trigger_event_id=cause,
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
            causation_id=cause,
        )
    )
    log.info("report.generated", formats=list(files))


async def drop_unnamed_files(db: Db, before: datetime) -> int:
    """Drops the stored files no job names that were uploaded before ``before`` — left by a worker that died
    between storing a build's files and naming them — and returns how many. Run at start-up, with ``before`` far
    older than a build takes, so that no build in progress loses its files."""
    dropped = 0
    async for files in store.report_files_before(db, before):
        named = await store.files_named(db, {str(f.get("metadata", {}).get("report_id")) for f in files})
        unnamed = [f["_id"] for f in files if f["_id"] not in named]
        await store.drop_report_files(db, unnamed)
        dropped += len(unnamed)
    if dropped:
        log.info("report.unnamed_files_dropped", files=dropped)
    return dropped


async def withdraw_misscoped(db: Db) -> int:
    """Campaign reports recorded for a region that does not hold their campaign (possible before reports were
    scoped by their subject) may carry another region's names: mark them failed, drop their files, clear their
    title. Run at start-up; a no-op once done. Returns how many were withdrawn."""
    withdrawn = 0
    for job in await store.campaign_reports_not_withdrawn(db):
        campaign = await store.campaign(db, job["campaign_id"])
        if campaign is None or in_region(str(campaign.get("region_code")), job["region_code"]):
            continue
        await store.withdraw_report(db, job, "withdrawn: the campaign lies outside the report's region")
        log.warning("report.withdrawn", report_id=job["_id"])
        withdrawn += 1
    return withdrawn
