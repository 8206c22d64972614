"""Thin subscribers: reporting consumes every event (binding ``#``) and the month-end timers, and hands each to
a command (``commands.events``). Building a report is left to the background worker."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from contracts.envelope import Envelope
from contracts.events.outreach import CampaignCompleted
from pilar_runtime.consumer import EventHandlers
from pilar_runtime.mongo import UnitOfWork
from services.reporting.commands import events
from services.reporting.store import MONTHLY_TIMER as MONTHLY_TIMER  # the composition root registers it


def build_handlers(grace: timedelta) -> EventHandlers:
    """``grace``: how long after month end (or after the last event of a month already past) the monthly reports
    wait for stragglers."""
    handlers = EventHandlers()

    @handlers.otherwise
    async def record_event(envelope: Envelope, payload: Any, uow: UnitOfWork) -> None:
        await events.record_event(uow, envelope, grace)

    @handlers.on("campaign_completed")
    async def campaign_completed(envelope: Envelope, payload: CampaignCompleted, uow: UnitOfWork) -> None:
        await events.record_event(uow, envelope, grace)
        await events.order_campaign_report(uow, envelope, payload)

    return handlers


async def month_ended(data: dict[str, Any], uow: UnitOfWork) -> None:
    # Timers set before zones carry no zone: they were WIB's.
    await events.order_monthly_reports(uow, str(data["month"]), str(data.get("zone", "WIB")))
