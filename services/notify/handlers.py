"""Thin subscribers: keep notify's copies (contacts, sessions, follow-ups, campaigns) current, set or move
the reminder timers, and record the deliveries each notice calls for."""

from __future__ import annotations

from typing import Any

import structlog

from contracts.envelope import Envelope
from contracts.events.outreach import (
    CampaignCompleted,
    CampaignPlanned,
    FollowupAssigned,
    FollowupCompleted,
    FollowupOverdue,
    SessionCancelled,
    SessionScheduled,
)
from contracts.events.registry import WorkerRegistered
from contracts.events.reporting import ReportGenerated
from pilar_runtime.consumer import EventHandlers
from pilar_runtime.mongo import UnitOfWork
from pilar_runtime.timers import TimerHandler, cancel_timer, schedule_timer
from services.notify import store
from services.notify.domain.timing import REMINDER_STAGES, followup_due_notice_at, reminder_times
from services.notify.notices import Notifier

log = structlog.get_logger("notify.handlers")

REMINDER = "session_reminder"
FOLLOWUP_DUE = "followup_due"
CONTACT_FIELDS = {"name", "role", "region_code", "email", "phone", "active"}


async def _newer(uow: UnitOfWork, collection: str, key: str, envelope: Envelope) -> dict[str, Any] | None:
    """The stored copy when this event is newer than it (or there is none: {}); None for a stale event.
    Events may arrive out of order after retries: `aggregate_version` decides."""
    found = await uow.db[collection].find_one({"_id": key}, session=uow.session)
    if found and found.get("version", 0) >= envelope.aggregate_version:
        log.info("notify.stale_event_ignored", key=key, version=found.get("version"))
        return None
    return found or {}


async def _save(uow: UnitOfWork, collection: str, key: str, envelope: Envelope, fields: dict[str, Any]) -> None:
    await uow.db[collection].update_one(
        {"_id": key},
        {"$set": {**fields, "version": envelope.aggregate_version}},
        upsert=True,
        session=uow.session,
    )


async def _campaign_facts(uow: UnitOfWork, campaign_id: str | None) -> dict[str, Any]:
    if not campaign_id:
        return {}
    campaign = await uow.db[store.CAMPAIGNS].find_one({"_id": campaign_id}, session=uow.session)
    return {"campaign_owner": campaign.get("owner")} if campaign else {}


def make_handlers(notifier: Notifier) -> EventHandlers:
    handlers = EventHandlers()

    @handlers.on("worker_registered", "worker_updated")
    async def contact(envelope: Envelope, payload: WorkerRegistered, uow: UnitOfWork) -> None:
        if await _newer(uow, store.CONTACTS, payload.worker_id, envelope) is not None:
            fields = payload.model_dump(mode="json", include=CONTACT_FIELDS)
            await _save(uow, store.CONTACTS, payload.worker_id, envelope, fields)
            log.info("notify.contact_saved", worker_id=payload.worker_id)
        await notifier.webhooks(uow, envelope)

    @handlers.on("campaign_planned")
    async def campaign_planned(envelope: Envelope, payload: CampaignPlanned, uow: UnitOfWork) -> None:
        facts = payload.model_dump(mode="json")
        if await _newer(uow, store.CAMPAIGNS, payload.campaign_id, envelope) is not None:
            await _save(uow, store.CAMPAIGNS, payload.campaign_id, envelope, facts)
        await notice(envelope, uow, {**facts, "campaign_owner": payload.owner})

    @handlers.on("campaign_completed")
    async def campaign_completed(envelope: Envelope, payload: CampaignCompleted, uow: UnitOfWork) -> None:
        planned = await uow.db[store.CAMPAIGNS].find_one({"_id": payload.campaign_id}, session=uow.session) or {}
        people = {k: planned.get(k, []) for k in ("officer_ids", "narasumber_ids")}
        facts = {**payload.model_dump(mode="json"), **people, "campaign_owner": planned.get("owner")}
        await notice(envelope, uow, facts)

    @handlers.on("session_scheduled", "session_rescheduled")
    async def session_placed(envelope: Envelope, payload: SessionScheduled, uow: UnitOfWork) -> None:
        if await _newer(uow, store.SESSIONS, payload.session_id, envelope) is None:
            await notifier.webhooks(uow, envelope)
            return
        facts = payload.model_dump(mode="json")
        await _save(uow, store.SESSIONS, payload.session_id, envelope, {"status": "scheduled", "facts": facts})
        ahead = reminder_times(payload.starts_at, notifier.clock())
        for stage in REMINDER_STAGES:
            key = f"{payload.session_id}:{stage}"
            if stage in ahead:  # creates the timer, or moves it (and re-arms it) on a reschedule
                data = {"session_id": payload.session_id, "stage": stage, "starts_at": facts["starts_at"]}
                await schedule_timer(uow, REMINDER, key, ahead[stage], data)
            else:
                await cancel_timer(uow, REMINDER, key)
        await notice(envelope, uow, {**facts, **await _campaign_facts(uow, payload.campaign_id)})

    @handlers.on("session_cancelled")
    async def session_cancelled(envelope: Envelope, payload: SessionCancelled, uow: UnitOfWork) -> None:
        stored = await _newer(uow, store.SESSIONS, payload.session_id, envelope)
        if stored is None:
            await notifier.webhooks(uow, envelope)
            return
        facts = {**stored.get("facts", {}), **payload.model_dump(mode="json")}
        await _save(uow, store.SESSIONS, payload.session_id, envelope, {"status": "cancelled", "facts": facts})
        for stage in REMINDER_STAGES:
            await cancel_timer(uow, REMINDER, f"{payload.session_id}:{stage}")
        await notice(envelope, uow, {**facts, **await _campaign_facts(uow, payload.campaign_id)})

    @handlers.on("followup_assigned")
    async def followup_assigned(envelope: Envelope, payload: FollowupAssigned, uow: UnitOfWork) -> None:
        facts = payload.model_dump(mode="json")
        await uow.db[store.FOLLOWUPS].update_one(
            {"_id": payload.followup_id},
            {"$set": {"facts": facts, "region_code": envelope.region_code}, "$setOnInsert": {"status": "open"}},
            upsert=True,
            session=uow.session,
        )
        due_notice = followup_due_notice_at(payload.due_on)
        if due_notice > notifier.clock():
            data = {"followup_id": payload.followup_id}
            await schedule_timer(uow, FOLLOWUP_DUE, payload.followup_id, due_notice, data)
        await notice(envelope, uow, {**facts, **await _campaign_facts(uow, payload.campaign_id)})

    @handlers.on("followup_completed")
    async def followup_completed(envelope: Envelope, payload: FollowupCompleted, uow: UnitOfWork) -> None:
        await uow.db[store.FOLLOWUPS].update_one(
            {"_id": payload.followup_id}, {"$set": {"status": "completed"}}, upsert=True, session=uow.session
        )
        await cancel_timer(uow, FOLLOWUP_DUE, payload.followup_id)
        await notifier.webhooks(uow, envelope)

    @handlers.on("followup_overdue")
    async def followup_overdue(envelope: Envelope, payload: FollowupOverdue, uow: UnitOfWork) -> None:
        known = await uow.db[store.FOLLOWUPS].find_one({"_id": payload.followup_id}, session=uow.session) or {}
        if known.get("status") == "completed":
            log.info("notify.overdue_ignored_completed", followup_id=payload.followup_id)
            await notifier.webhooks(uow, envelope)
            return
        facts = {**known.get("facts", {}), **payload.model_dump(mode="json")}
        await notice(envelope, uow, {**facts, **await _campaign_facts(uow, facts.get("campaign_id"))})

    @handlers.on("report_generated")
    async def report_generated(envelope: Envelope, payload: ReportGenerated, uow: UnitOfWork) -> None:
        await notice(envelope, uow, payload.model_dump(mode="json"))

    @handlers.otherwise
    async def anything_else(envelope: Envelope, payload: Any, uow: UnitOfWork) -> None:
        await notifier.webhooks(uow, envelope)

    async def notice(envelope: Envelope, uow: UnitOfWork, facts: dict[str, Any]) -> None:
        await notifier.notice(
            uow, subject=envelope.routing_key, event_id=str(envelope.event_id), region_code=envelope.region_code,
            facts=facts,
        )  # fmt: skip
        await notifier.webhooks(uow, envelope)

    return handlers


def make_timer_handlers(notifier: Notifier) -> dict[str, TimerHandler]:
    async def session_reminder(data: dict[str, Any], uow: UnitOfWork) -> None:
        session = await uow.db[store.SESSIONS].find_one({"_id": data["session_id"]}, session=uow.session)
        # Checked at fire time too: a cancel or a move that raced the timer wins.
        if not session or session["status"] != "scheduled" or session["facts"]["starts_at"] != data["starts_at"]:
            log.info("notify.reminder_skipped", session_id=data["session_id"], stage=data["stage"])
            return
        facts = {**session["facts"], "stage": data["stage"]}
        facts.update(await _campaign_facts(uow, facts.get("campaign_id")))
        await notifier.notice(
            uow,
            subject="outreach.session_reminder",
            event_id=f"reminder:{data['session_id']}:{data['stage']}:{data['starts_at']}",
            region_code=facts["region_code"],
            facts=facts,
        )

    async def followup_due(data: dict[str, Any], uow: UnitOfWork) -> None:
        followup = await uow.db[store.FOLLOWUPS].find_one({"_id": data["followup_id"]}, session=uow.session)
        if not followup or followup.get("status") != "open":
            log.info("notify.followup_due_skipped", followup_id=data["followup_id"])
            return
        facts = {**followup["facts"], **await _campaign_facts(uow, followup["facts"].get("campaign_id"))}
        await notifier.notice(
            uow,
            subject="outreach.followup_due",
            event_id=f"due:{data['followup_id']}:{facts['due_on']}",
            region_code=followup["region_code"],
            facts=facts,
        )

    return {REMINDER: session_reminder, FOLLOWUP_DUE: followup_due}
