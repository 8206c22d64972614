"""Thin subscribers: reporting consumes every event (binding ``#``) and the month-end timers, and hands each to
a command (``commands.events``). Building a report is left to the background worker."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from contracts.envelope import Envelope
from contracts.events.outreach import (
    CampaignCompleted,
    FollowupCompleted,
    FollowupOverdue,
    SessionHeld,
    SessionReportAmended,
)
from pilar_runtime.consumer import EventHandlers
from pilar_runtime.mongo import UnitOfWork
from services.reporting.commands import events
from services.reporting.store import MONTHLY_TIMER as MONTHLY_TIMER  # the composition root registers it


def build_handlers(grace: timedelta, held: Callable[[], frozenset[int]] = frozenset) -> EventHandlers:
    """``grace``: how long after month end (or after the last event of a month already past) the monthly reports
    wait for stragglers; ``held``: the partitions this replica holds now."""
    handlers = EventHandlers()
    handlers.before_batch(events.read_states)

    @handlers.otherwise
    async def record_event(envelope: Envelope, payload: Any, uow: UnitOfWork) -> None:
        await events.record_event(uow, envelope, grace, held())

    @handlers.on("campaign_completed")
    async def campaign_completed(envelope: Envelope, payload: CampaignCompleted, uow: UnitOfWork) -> None:
        await events.record_event(uow, envelope, grace, held())
        await events.order_campaign_report(uow, envelope, payload)

    # --- FGD minutes ---
    @handlers.on("FGD_held")
    async def fgd_held(envelope: Envelope, payload: SessionHeld, uow: UnitOfWork) -> None:
        await events.record_event(uow, envelope, grace, held())
        await events.order_fgd_minutes(uow, envelope, payload)

    @handlers.on("followup_completed", "followup_overdue")
    async def followup_moved(envelope: Envelope, payload: FollowupCompleted | FollowupOverdue, uow: UnitOfWork) -> None:
        await events.record_event(uow, envelope, grace, held())
        await events.renew_fgd_minutes(uow, envelope, payload.session_id)

    # --- end FGD minutes ---

    # Corrections (outreach): an amended report revises its campaign's report ---------------------------------
    @handlers.on("session_report_amended")
    async def report_amended(envelope: Envelope, payload: SessionReportAmended, uow: UnitOfWork) -> None:
        await events.record_event(uow, envelope, grace, held())
        if payload.campaign_id:
            await events.revise_campaign_report(uow, payload.campaign_id, payload.reason, envelope)
        if payload.kind == "FGD":
            await events.renew_fgd_minutes(uow, envelope, payload.session_id)

    # End of corrections (outreach) ---------------------------------------------------------------------------

    return handlers


async def month_ended(data: dict[str, Any], uow: UnitOfWork) -> None:
    # Timers set before zones carry no zone: they were WIB's.
    await events.order_monthly_reports(uow, str(data["month"]), str(data.get("zone", "WIB")))
