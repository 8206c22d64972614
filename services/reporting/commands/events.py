"""What reporting does with each event it consumes, and the reports events and timers order.

All of it runs in the consumer's (or the timer's) transaction: the stored event, the projections, the roll-ups,
the month's activity and timer, and any report job commit together or not at all.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import structlog

from contracts.envelope import REGION_CODE, Envelope
from contracts.events.outreach import CampaignCompleted
from pilar_runtime.localtime import month_bounds, month_end, zone_of
from pilar_runtime.mongo import UnitOfWork
from services.reporting import store
from services.reporting.commands.reports import record_job
from services.reporting.domain.facts import Fact
from services.reporting.domain.months import district_of, month_of, reports_due, zone_name
from services.reporting.domain.projection import apply, event_contributions, rollup_delta, scopes, touches
from services.reporting.domain.reports import job_document

log = structlog.get_logger("reporting.events")
SERVICE_ACTOR = "reporting"


async def record_event(uow: UnitOfWork, envelope: Envelope, grace: timedelta) -> None:
    """Store and project one event (the consumer's inbox lets each through once) and note its district's month.
    ``grace``: how long after month end (or after the last event of a month already past) the monthly reports
    wait for stragglers."""
    writes = store.writes(uow)
    writes.events.append(store.event_document(envelope, datetime.now(UTC)))
    fact = Fact.of(envelope)
    await project(uow, fact)
    if fact.known:
        log.info("event.stored")
    else:
        log.warning("event.unknown_type_stored")
    district = district_of(envelope.region_code)
    # Reporting's own report_generated is not district activity: otherwise each monthly report would order the next.
    if district and envelope.producer != SERVICE_ACTOR:
        zone = zone_of(district)
        month = month_of(envelope.occurred_at, zone)
        due = reports_due(month, datetime.now(UTC), grace, zone)
        store.months_active(uow).note(district, month.isoformat()[:7], due, zone_name(district))


async def project(uow: UnitOfWork, fact: Fact) -> None:
    """Apply one new fact to every projection it touches and move the roll-ups (written at commit)."""
    writes = store.writes(uow)
    for projection, key in touches(fact):
        old = await writes.state(uow, projection, key)
        new = apply(projection, key, old, fact)
        if new is None:
            continue
        writes.put(projection, key, new)
        for region, delta in rollup_delta(projection, old, new).items():
            writes.move(region, delta)
    for region in scopes(fact.region_code):
        writes.move(region, event_contributions(fact))


async def order_campaign_report(uow: UnitOfWork, envelope: Envelope, completed: CampaignCompleted) -> None:
    """A completed campaign gets its report (one per campaign, whatever redelivers the completion)."""
    region = completed.region_code if REGION_CODE.match(completed.region_code) else envelope.region_code
    job = job_document(
        f"rpt_campaign_{completed.campaign_id}",
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
