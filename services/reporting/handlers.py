"""Reporting consumes every event (binding ``#``): store it, project it, and record report jobs it triggers.

Everything happens in the consumer's transaction (with the inbox record): the stored event, the projections,
the roll-ups, the month-end timer and any report job commit together or not at all. Building a report is left
to the background worker.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import structlog
from pymongo import UpdateOne

from contracts.envelope import REGION_CODE, Envelope
from contracts.events.outreach import CampaignCompleted
from pilar_runtime.consumer import EventHandlers
from pilar_runtime.localtime import local_date, month_bounds, month_end
from pilar_runtime.mongo import UnitOfWork
from pilar_runtime.timers import TIMERS, schedule_timer
from services.reporting import store
from services.reporting.reports.jobs import job_document, request

log = structlog.get_logger("reporting.handlers")

MONTHLY_TIMER = "monthly_district"


def build_handlers(grace: timedelta) -> EventHandlers:
    """``grace``: how long after month end (or after the last event of a month already past) the monthly reports
    wait for stragglers."""
    handlers = EventHandlers()

    @handlers.otherwise
    async def record_event(envelope: Envelope, payload: Any, uow: UnitOfWork) -> None:
        await record(envelope, uow, grace)

    @handlers.on("campaign_completed")
    async def campaign_completed(envelope: Envelope, payload: CampaignCompleted, uow: UnitOfWork) -> None:
        await record(envelope, uow, grace)
        job = job_document(
            f"rpt_campaign_{payload.campaign_id}",
            "campaign",
            payload.region_code if _valid_region(payload.region_code) else envelope.region_code,
            None,
            None,
            requested_by="reporting",
            created_at=envelope.occurred_at,
            trigger_event_id=str(envelope.event_id),
            campaign_id=payload.campaign_id,
        )
        await request(uow, job)

    return handlers


async def record(envelope: Envelope, uow: UnitOfWork, grace: timedelta) -> None:
    """Store and project one event (the consumer's inbox lets each through once)."""
    fact = store.append_event(uow, envelope, datetime.now(UTC))
    await store.project(uow, fact)
    if fact.known:
        log.info("event.stored")
    else:
        log.warning("event.unknown_type_stored")
    district = _district(envelope.region_code)
    # Reporting's own report_generated is not district activity: otherwise each monthly report would order the next.
    if district and envelope.producer != "reporting":
        uow.buffer(MonthsActive.NAME, MonthsActive).note(district, envelope.occurred_at, grace)


def _valid_region(code: str) -> bool:
    return bool(REGION_CODE.match(code))


def _district(region_code: str) -> str | None:
    parts = region_code.split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 else None


class MonthsActive:
    """A district with activity in a month gets a monthly report when that month ends (a timer per month).

    Gathers the (district, month) pairs of a transaction's events and writes them, and the months' timers, once.
    The timer fires ``grace`` after month end; for a month already past (history arriving late) it fires ``grace``
    after the month's last event arrived, so that the report sees the whole burst."""

    NAME = "reporting.months_active"

    def __init__(self) -> None:
        self.districts: set[tuple[str, str]] = set()
        self.due: dict[str, datetime] = {}  # month → when its reports are due, as the latest event asks

    def note(self, district: str, occurred_at: datetime, grace: timedelta) -> None:
        first, _ = month_bounds(local_date(occurred_at))
        month = first.isoformat()[:7]
        self.districts.add((district, month))
        due = max(month_end(first), datetime.now(UTC)) + grace
        self.due[month] = max(due, self.due.get(month, due))

    async def flush(self, uow: UnitOfWork) -> None:
        if self.districts:
            await uow.db[store.ACTIVITY].bulk_write(
                [
                    UpdateOne(
                        {"_id": f"{district}|{month}"},
                        {"$setOnInsert": {"district": district, "month": month}},
                        upsert=True,
                    )
                    for district, month in sorted(self.districts)
                ],
                ordered=False,
                session=uow.session,
            )
        for month, due in sorted(self.due.items()):
            timer = await uow.db[TIMERS].find_one({"kind": MONTHLY_TIMER, "key": month}, session=uow.session)
            if timer is None or (timer["status"] == "pending" and timer["due_at"] < due):
                await schedule_timer(uow, MONTHLY_TIMER, month, due, {"month": month})
            # A fired timer stays fired: a late event does not rebuild a month's reports (POST /reports can).


async def month_ended(data: dict[str, Any], uow: UnitOfWork) -> None:
    """Timer handler: record a monthly report job for every district that had activity in the month."""
    month = str(data["month"])
    first, last = month_bounds(date.fromisoformat(f"{month}-01"))
    districts = await uow.db[store.ACTIVITY].find({"month": month}, session=uow.session).sort("_id", 1).to_list(None)
    for found in districts:
        job = job_document(
            f"rpt_monthly_{found['district']}_{month}",
            "monthly_district",
            found["district"],
            first,
            last,
            requested_by="reporting",
            created_at=month_end(first),
        )
        await request(uow, job)
    log.info("report.month_ended", month=month, districts=len(districts))
