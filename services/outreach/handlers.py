"""Thin subscribers: registry's workers into the local copy; the timers of follow-ups and campaign periods."""

from __future__ import annotations

from typing import Any

import structlog

from contracts.envelope import Envelope
from contracts.events.registry import WorkerRegistered
from pilar_runtime.consumer import EventHandlers
from pilar_runtime.mongo import UnitOfWork
from pilar_runtime.timers import TimerHandler
from services.outreach import store
from services.outreach.commands import campaigns, followups
from services.outreach.commands.shared import SERVICE_ACTOR

log = structlog.get_logger("outreach")
handlers = EventHandlers()


@handlers.on("worker_registered", "worker_updated")
async def keep_worker(envelope: Envelope, payload: WorkerRegistered, uow: UnitOfWork) -> None:
    # Contacts stay with registry and notify: outreach only needs who exists, their role, region and status.
    worker = {
        "role": payload.role.value,
        "name": payload.name,
        "region_code": payload.region_code,
        "active": payload.active,
    }
    kept = await uow.keep_copy(store.WORKERS, payload.worker_id, worker, envelope.aggregate_version)
    log.info("worker.copied" if kept else "worker.stale_skipped", worker_id=payload.worker_id)


async def followup_due(data: dict[str, Any], uow: UnitOfWork) -> None:
    await followups.mark_followup_overdue(uow, data["followup_id"])


async def campaign_period_end(data: dict[str, Any], uow: UnitOfWork) -> None:
    await campaigns.complete_campaign_if_done(uow, data["campaign_id"], SERVICE_ACTOR, period_ended=True)


timer_handlers: dict[str, TimerHandler] = {
    followups.FOLLOWUP_DUE: followup_due,
    campaigns.CAMPAIGN_PERIOD_END: campaign_period_end,
}
