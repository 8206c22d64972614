"""Thin subscribers: outreach's campaigns and sessions into the local reference that formation checks against."""

from __future__ import annotations

import structlog

from contracts.envelope import Envelope
from contracts.events.outreach import CampaignPlanned, SessionScheduled
from pilar_runtime.consumer import EventHandlers
from pilar_runtime.mongo import UnitOfWork
from services.registry.commands import outreach_copies

log = structlog.get_logger("registry")
handlers = EventHandlers()


@handlers.on("campaign_planned")
async def keep_campaign(envelope: Envelope, payload: CampaignPlanned, uow: UnitOfWork) -> None:
    kept = await outreach_copies.keep_campaign(
        uow, payload.campaign_id, payload.region_code, envelope.aggregate_version
    )
    log.info("campaign.copied" if kept else "campaign.stale_skipped", campaign_id=payload.campaign_id)


@handlers.on("session_scheduled", "session_rescheduled")
async def keep_session(envelope: Envelope, payload: SessionScheduled, uow: UnitOfWork) -> None:
    kept = await outreach_copies.keep_session(
        uow, payload.session_id, payload.region_code, payload.campaign_id, envelope.aggregate_version
    )
    log.info("session.copied" if kept else "session.stale_skipped", session_id=payload.session_id)
