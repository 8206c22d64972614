"""What each event and timer means for notify: its copies (contacts, campaigns, sessions, follow-ups) kept
current, the reminder timers set, moved or cancelled, and the deliveries of the notice recorded.

Copies follow `aggregate_version`: events may arrive out of order after retries, and a stale one changes nothing.
"""

from __future__ import annotations

from typing import Any

import structlog

from contracts.envelope import Envelope
from contracts.events.outreach import (
    CampaignCancelled,
    CampaignCompleted,
    CampaignPlanned,
    CampaignUpdated,
    FollowupAssigned,
    FollowupOverdue,
    SessionCancelled,
    SessionScheduled,
)
from contracts.events.registry import InstitutionFormed, WorkerRegistered
from contracts.events.reporting import ReportGenerated
from pilar_runtime.localtime import zone_of
from pilar_runtime.mongo import UnitOfWork
from pilar_runtime.timers import cancel_timer, schedule_timer
from services.notify import store
from services.notify.commands.deliveries import record_notice
from services.notify.domain.skips import Skip, session_started
from services.notify.domain.timing import REMINDER_STAGES, followup_due_notice_at, reminder_times
from services.notify.notifier import Notifier

log = structlog.get_logger("notify.handlers")

REMINDER = "session_reminder"
FOLLOWUP_DUE = "followup_due"
CONTACT_FIELDS = {"name", "role", "region_code", "email", "phone", "active"}


async def _notice(
    uow: UnitOfWork, notifier: Notifier, envelope: Envelope, facts: dict[str, Any], skip: Skip | None = None
) -> None:
    """The deliveries of the notice an event is (recorded as skipped when it comes too late)."""
    await record_notice(
        uow, notifier, subject=envelope.routing_key, event_id=str(envelope.event_id),
        region_code=envelope.region_code, facts=facts, skip=skip,
    )  # fmt: skip


async def _campaign_facts(uow: UnitOfWork, campaign_id: str | None) -> dict[str, Any]:
    """Who a campaign's notices may name besides the people of the event: its owner."""
    campaign = await store.find(uow, store.CAMPAIGNS, campaign_id)
    return {"campaign_owner": campaign.get("owner")} if campaign else {}


def _stale(collection: str, key: str) -> None:
    log.info("notify.stale_event_ignored", collection=collection, key=key)


# Contacts and campaigns ----------------------------------------------------------------------------------------


async def keep_contact(uow: UnitOfWork, envelope: Envelope, worker: WorkerRegistered) -> None:
    fields = worker.model_dump(mode="json", include=CONTACT_FIELDS)
    if await uow.keep_copy(store.CONTACTS, worker.worker_id, fields, envelope.aggregate_version):
        log.info("notify.contact_saved", worker_id=worker.worker_id)
    else:
        _stale(store.CONTACTS, worker.worker_id)


async def campaign_planned(uow: UnitOfWork, notifier: Notifier, envelope: Envelope, campaign: CampaignPlanned) -> None:
    facts = campaign.model_dump(mode="json")
    if not await uow.keep_copy(store.CAMPAIGNS, campaign.campaign_id, facts, envelope.aggregate_version):
        _stale(store.CAMPAIGNS, campaign.campaign_id)
    await _notice(uow, notifier, envelope, {**facts, "campaign_owner": campaign.owner})


async def campaign_completed(
    uow: UnitOfWork, notifier: Notifier, envelope: Envelope, campaign: CampaignCompleted
) -> None:
    planned = await store.find(uow, store.CAMPAIGNS, campaign.campaign_id) or {}
    people = {k: planned.get(k, []) for k in ("officer_ids", "narasumber_ids")}
    facts = {**campaign.model_dump(mode="json"), **people, "campaign_owner": planned.get("owner")}
    await _notice(uow, notifier, envelope, facts)


async def report_generated(uow: UnitOfWork, notifier: Notifier, envelope: Envelope, report: ReportGenerated) -> None:
    await _notice(uow, notifier, envelope, report.model_dump(mode="json"))


# Formation: the handover to the Seksi PSKS/TKSM ---------------------------------------------------------------


async def institution_formed(
    uow: UnitOfWork, notifier: Notifier, envelope: Envelope, formed: InstitutionFormed
) -> None:
    """A WKSBM, Pokja or Karang Taruna formed: the notice lists its board (roles and names only), and may name the
    officers of the session and the owner of the campaign the formation cites."""
    facts = formed.model_dump(mode="json")
    facts["board"] = [{"role": seat.role, "name": seat.name} for seat in formed.board]
    session = await store.find(uow, store.SESSIONS, formed.session_id) if formed.session_id else None
    facts["officer_ids"] = (session or {}).get("facts", {}).get("officer_ids", [])
    campaign_id = formed.campaign_id or (session or {}).get("facts", {}).get("campaign_id")
    await _notice(uow, notifier, envelope, {**facts, **await _campaign_facts(uow, campaign_id)})


# Sessions ------------------------------------------------------------------------------------------------------


async def place_session(uow: UnitOfWork, notifier: Notifier, envelope: Envelope, session: SessionScheduled) -> None:
    """A session scheduled or moved: its copy, its reminders still ahead (set, or moved and re-armed; the rest
    removed), and the invitation or update notice — skipped when the session has already started."""
    facts = session.model_dump(mode="json")
    copy = {"status": "scheduled", "facts": facts}
    if not await uow.keep_copy(store.SESSIONS, session.session_id, copy, envelope.aggregate_version):
        _stale(store.SESSIONS, session.session_id)
        return
    ahead = reminder_times(session.starts_at, notifier.clock())
    for stage in REMINDER_STAGES:
        key = f"{session.session_id}:{stage}"
        if stage in ahead:
            data = {"session_id": session.session_id, "stage": stage, "starts_at": facts["starts_at"]}
            await schedule_timer(uow, REMINDER, key, ahead[stage], data)
        else:
            await cancel_timer(uow, REMINDER, key)
    too_late = session_started(session.starts_at, notifier.clock())
    await _notice(uow, notifier, envelope, {**facts, **await _campaign_facts(uow, session.campaign_id)}, too_late)


async def cancel_session(uow: UnitOfWork, notifier: Notifier, envelope: Envelope, session: SessionCancelled) -> None:
    """The copy cancelled (keeping what the cancellation does not repeat), its reminders removed, the notice (skipped
    for a session that had already started)."""
    known = await store.find(uow, store.SESSIONS, session.session_id) or {}
    facts = {**known.get("facts", {}), **session.model_dump(mode="json")}
    copy = {"status": "cancelled", "facts": facts}
    if not await uow.keep_copy(store.SESSIONS, session.session_id, copy, envelope.aggregate_version):
        _stale(store.SESSIONS, session.session_id)
        return
    for stage in REMINDER_STAGES:
        await cancel_timer(uow, REMINDER, f"{session.session_id}:{stage}")
    too_late = session_started(session.starts_at, notifier.clock())
    await _notice(uow, notifier, envelope, {**facts, **await _campaign_facts(uow, session.campaign_id)}, too_late)


async def remind_session(uow: UnitOfWork, notifier: Notifier, session_id: str, stage: str, starts_at: str) -> None:
    """The H-3 or H-1 reminder, unless the session was cancelled or moved since the timer was set: checked at fire
    time too, so a cancel or a move that raced the timer wins. A timer that fires after the session started (notify
    was down past it) records its reminder as skipped."""
    session = await store.find(uow, store.SESSIONS, session_id)
    if not session or session["status"] != "scheduled" or session["facts"]["starts_at"] != starts_at:
        log.info("notify.reminder_skipped", session_id=session_id, stage=stage)
        return
    facts = {**session["facts"], "stage": stage}
    facts.update(await _campaign_facts(uow, facts.get("campaign_id")))
    await record_notice(
        uow, notifier, subject="outreach.session_reminder", event_id=f"reminder:{session_id}:{stage}:{starts_at}",
        region_code=facts["region_code"], facts=facts, skip=session_started(starts_at, notifier.clock()),
    )  # fmt: skip


# Follow-ups ----------------------------------------------------------------------------------------------------


async def assign_followup(uow: UnitOfWork, notifier: Notifier, envelope: Envelope, followup: FollowupAssigned) -> None:
    """The copy, the due notice's timer (the day before `due_on`, when still ahead), the assignment notice."""
    facts = followup.model_dump(mode="json")
    await store.keep_followup(uow, followup.followup_id, facts, envelope.region_code)
    due_notice = followup_due_notice_at(followup.due_on, zone_of(envelope.region_code))
    if due_notice > notifier.clock():
        data = {"followup_id": followup.followup_id}
        await schedule_timer(uow, FOLLOWUP_DUE, followup.followup_id, due_notice, data)
    await _notice(uow, notifier, envelope, {**facts, **await _campaign_facts(uow, followup.campaign_id)})


async def complete_followup(uow: UnitOfWork, followup_id: str) -> None:
    await store.complete_followup(uow, followup_id)
    await cancel_timer(uow, FOLLOWUP_DUE, followup_id)


# Corrections (outreach): a changed or cancelled campaign, a follow-up an amended report dropped ----------------


async def campaign_updated(uow: UnitOfWork, envelope: Envelope, campaign: CampaignUpdated) -> None:
    """The campaign copy follows its new plan (its people and owner name the campaign's notices); no notice of its
    own: moved or cancelled sessions send theirs."""
    facts = campaign.model_dump(mode="json", exclude={"changed", "updated_by"})
    if not await uow.keep_copy(store.CAMPAIGNS, campaign.campaign_id, facts, envelope.aggregate_version):
        _stale(store.CAMPAIGNS, campaign.campaign_id)


async def campaign_cancelled(uow: UnitOfWork, envelope: Envelope, campaign: CampaignCancelled) -> None:
    """The campaign copy marked cancelled; its sessions' own ``session_cancelled`` send the cancellation notices."""
    facts = {"status": "cancelled", "cancel_reason": campaign.reason}
    if not await uow.keep_copy(store.CAMPAIGNS, campaign.campaign_id, facts, envelope.aggregate_version):
        _stale(store.CAMPAIGNS, campaign.campaign_id)


async def cancel_followup(uow: UnitOfWork, followup_id: str) -> None:
    """No due notice for a follow-up an amended report dropped."""
    await store.complete_followup(uow, followup_id, "cancelled")
    await cancel_timer(uow, FOLLOWUP_DUE, followup_id)


# End of corrections (outreach) ---------------------------------------------------------------------------------


async def followup_overdue(uow: UnitOfWork, notifier: Notifier, envelope: Envelope, overdue: FollowupOverdue) -> None:
    """The overdue notice, unless notify has heard the follow-up was completed."""
    known = await store.find(uow, store.FOLLOWUPS, overdue.followup_id) or {}
    if known.get("status") == "completed":
        log.info("notify.overdue_ignored_completed", followup_id=overdue.followup_id)
        return
    facts = {**known.get("facts", {}), **overdue.model_dump(mode="json")}
    await _notice(uow, notifier, envelope, {**facts, **await _campaign_facts(uow, facts.get("campaign_id"))})


async def followup_due(uow: UnitOfWork, notifier: Notifier, followup_id: str) -> None:
    """The due notice, the day before `due_on`, while the follow-up is open."""
    followup = await store.find(uow, store.FOLLOWUPS, followup_id)
    if not followup or followup.get("status") != "open":
        log.info("notify.followup_due_skipped", followup_id=followup_id)
        return
    facts = {**followup["facts"], **await _campaign_facts(uow, followup["facts"].get("campaign_id"))}
    await record_notice(
        uow, notifier, subject="outreach.followup_due", event_id=f"due:{followup_id}:{facts['due_on']}",
        region_code=followup["region_code"], facts=facts,
    )  # fmt: skip
