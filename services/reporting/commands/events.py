"""What reporting does with each event it consumes, and the reports events and timers order.

All of it runs in the consumer's (or the timer's) transaction: the stored event, the projections, the roll-ups,
the month's activity and timer, and any report job commit together or not at all.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime, timedelta
from functools import partial

import structlog

from contracts.envelope import REGION_CODE, Envelope
from contracts.events.outreach import CampaignCompleted, SessionHeld
from pilar_runtime.localtime import month_bounds, month_end, zone_of
from pilar_runtime.mongo import UnitOfWork
from pilar_runtime.service import Runtime
from services.reporting import store
from services.reporting.commands.reports import record_job
from services.reporting.domain.facts import Fact
from services.reporting.domain.months import district_of, month_of, reports_due, zone_name
from services.reporting.domain.projection import (
    CAMPAIGNS,
    SESSION_HELD,
    SESSIONS,
    apply,
    event_contributions,
    rollup_delta,
    scopes,
    touches,
)
from services.reporting.domain.regions import region_name
from services.reporting.domain.reports import campaign_report_id, job_document
from services.reporting.domain.revisions import late_session_reason, revised_job
from services.reporting.reports import fgd

log = structlog.get_logger("reporting.events")
SERVICE_ACTOR = "reporting"
HORIZON_TICK_SECONDS = 0.5


async def record_event(
    uow: UnitOfWork, envelope: Envelope, grace: timedelta, held: frozenset[int] = frozenset()
) -> None:
    """Store and project one event (the consumer's inbox lets each through once) and note its district's month.
    ``grace``: how long after month end (or after the last event of a month already past) the monthly reports
    wait for stragglers; ``held``: the partitions this replica holds (their counters move with its commits)."""
    writes = store.writes(uow)
    writes.held = set(held)
    writes.events.append(store.event_document(envelope, datetime.now(UTC)))
    fact = Fact.of(envelope)
    changed = await project(uow, fact)
    if fact.known:
        log.info("event.stored")
    else:
        log.warning("event.unknown_type_stored")
    district = district_of(envelope.region_code)
    # Reporting's own report_generated is not district activity (otherwise each monthly report would order the next),
    # nor is a staff account changed in the console.
    if district and envelope.producer not in (SERVICE_ACTOR, "console"):
        zone = zone_of(district)
        month = month_of(envelope.occurred_at, zone)
        due = reports_due(month, datetime.now(UTC), grace, zone)
        store.months_active(uow, grace).note(district, month.isoformat()[:7], due, zone_name(district))
    await revise_if_reported_late(uow, envelope, fact, changed)


async def read_states(envelopes: list[Envelope], uow: UnitOfWork) -> None:
    """Read the states a batch of events will change, a query per projection rather than one per aggregate."""
    await store.writes(uow).read_ahead(uow, [key for envelope in envelopes for key in touches(Fact.of(envelope))])


async def project(uow: UnitOfWork, fact: Fact) -> set[tuple[str, str]]:
    """Apply one new fact to every projection it touches and move the roll-ups (written at commit); returns the
    (projection, key) pairs it changed."""
    writes = store.writes(uow)
    partition = (await writes.counters(uow)).partition(fact.aggregate_id)  # whose roll-up documents it moves
    changed: set[tuple[str, str]] = set()
    for projection, key in touches(fact):
        old = await writes.state(uow, projection, key)
        new = apply(projection, key, old, fact)
        if new is None:
            continue
        writes.put(projection, key, new)
        changed.add((projection, key))
        for region, delta in rollup_delta(projection, old, new).items():
            writes.move(region, delta, partition)
    for region in scopes(fact.region_code):
        writes.move(region, event_contributions(fact), partition)
    return changed


async def keep_horizon(runtime: Runtime, every: float = HORIZON_TICK_SECONDS) -> None:
    """With partitions: move the counters of partitions that numbered nothing for a tick up with the busy ones (see
    ``domain.sequence``), so the feed's horizon keeps up with the newest events — idle ones, and those nobody holds
    for a moment (a replica left, another takes over at its next beat). A commit moves the counters of every
    partition its replica holds."""
    failures = 0
    while True:
        try:
            await runtime.mongo.transact(partial(store.tick, idle=timedelta(seconds=every)))
            failures = 0
        except Exception as exc:  # the database away: the feed stops at the horizon until a tick gets through
            failures += 1
            level = logging.WARNING if failures >= 3 else logging.INFO
            log.log(level, "sequence.tick_failed", failures=failures, error=f"{type(exc).__name__}: {exc}")
        await asyncio.sleep(every)


async def order_campaign_report(uow: UnitOfWork, envelope: Envelope, completed: CampaignCompleted) -> None:
    """A completed campaign gets its report (one per campaign, whatever redelivers the completion)."""
    region = completed.region_code if REGION_CODE.match(completed.region_code) else envelope.region_code
    job = job_document(
        campaign_report_id(completed.campaign_id),
        "campaign",
        region,
        None,
        None,
        requested_by=SERVICE_ACTOR,
        created_at=envelope.occurred_at,
        trigger_event_id=str(envelope.event_id),
        campaign_id=completed.campaign_id,
    )
    await record_job(uow, job)


async def order_monthly_reports(uow: UnitOfWork, month: str, zone: str = "WIB") -> None:
    """A month ended in ``zone`` (WIB, WITA or WIT): record a monthly report job for every district of that zone that
    had activity in it."""
    first, last = month_bounds(date.fromisoformat(f"{month}-01"))
    districts = [d for d in await store.districts_active(uow, month) if zone_name(d) == zone]
    for district in districts:
        job = job_document(
            f"rpt_monthly_{district}_{month}",
            "monthly_district",
            district,
            first,
            last,
            requested_by=SERVICE_ACTOR,
            created_at=month_end(first, zone_of(district)),
        )
        await record_job(uow, job)
    log.info("report.month_ended", month=month, zone=zone, districts=len(districts))


# --- Revised campaign reports ---


async def revise_campaign_report(uow: UnitOfWork, campaign_id: str, reason: str, cause: Envelope) -> bool:
    """Regenerate a campaign's automatic report as a revised version: built again (a new version,
    ``report_generated`` again), saying it was revised, when (``cause``'s time, in the region's local date) and
    ``reason`` (Indonesian, lower case: it follows the date). Nothing to do while the report was never generated
    (its first build reads the new facts). True when a revision was recorded."""
    report_id = campaign_report_id(campaign_id)
    job = await store.report_in(uow, report_id)
    changes = None if job is None else revised_job(job, reason, cause.occurred_at, str(cause.event_id))
    if changes is None:
        return False
    await store.update_report(uow, report_id, changes)
    log.info("report.revision_ordered", report_id=report_id, revisions=len(changes["revisions"]))
    return True


async def revise_if_reported_late(uow: UnitOfWork, cause: Envelope, fact: Fact, changed: set[tuple[str, str]]) -> None:
    """A session reported held after its campaign completed (a past programme entered late completes by its timer
    before anything is reported): the campaign's totals move with it (progress and roll-ups read the sessions) and
    its report, if generated, is regenerated marked revised."""
    if fact.event_type not in SESSION_HELD:
        return
    session_id = str(fact.payload.get("session_id"))
    if (SESSIONS, session_id) not in changed:
        return
    writes = store.writes(uow)
    session = await writes.state(uow, SESSIONS, session_id)
    campaign_id = session.get("campaign_id") if session else None
    campaign = await writes.state(uow, CAMPAIGNS, str(campaign_id)) if campaign_id else None
    if session is None or campaign is None or campaign.get("status") != "completed":
        return
    # Arriving after the report was built but told before the completion, it is a straggler, not a late report.
    after_completion = fact.occurred_at > datetime.fromisoformat(str(campaign["completed_at"]))
    reason = late_session_reason(session, region_name(str(session.get("region_code"))), after_completion)
    await revise_campaign_report(uow, str(campaign_id), reason, cause)


# --- end of revised campaign reports ---


# --- FGD minutes: built when an FGD is held, a new version as its follow-ups complete or go overdue ---


async def order_fgd_minutes(uow: UnitOfWork, envelope: Envelope, held: SessionHeld) -> None:
    """A held FGD gets its minutes (one report per FGD, whatever redelivers the event)."""
    region = held.region_code if REGION_CODE.match(held.region_code) else envelope.region_code
    job = job_document(
        fgd.report_id(held.session_id),
        fgd.KIND,
        region,
        held.held_on,
        held.held_on,
        requested_by=SERVICE_ACTOR,
        created_at=envelope.occurred_at,
        trigger_event_id=str(envelope.event_id),
        session_id=held.session_id,
    )
    await record_job(uow, job)


async def renew_fgd_minutes(uow: UnitOfWork, envelope: Envelope, session_id: str) -> None:
    """A follow-up changed state: the minutes of its FGD (if it has any) are built again, a new version."""
    if await store.requeue_report(uow, fgd.report_id(session_id), str(envelope.event_id)):
        log.info("report.renewal_requested", report_id=fgd.report_id(session_id))


# --- end FGD minutes ---
