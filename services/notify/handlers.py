"""Thin subscribers: each event or timer calls its command (`commands/notices.py`). Every bus event is then passed
on to the webhooks that want it, whatever it meant for notify (a stale or ignored one too)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from contracts.envelope import Envelope
from contracts.events.outreach import (
    CampaignCancelled,
    CampaignCompleted,
    CampaignPlanned,
    CampaignUpdated,
    FollowupAssigned,
    FollowupCancelled,
    FollowupCompleted,
    FollowupOverdue,
    SessionCancelled,
    SessionScheduled,
)
from contracts.events.registry import InstitutionFormed, WorkerRegistered
from contracts.events.reporting import ReportGenerated
from pilar_runtime.consumer import EventHandlers
from pilar_runtime.mongo import UnitOfWork
from pilar_runtime.timers import TimerHandler
from services.notify.commands import notices
from services.notify.commands.deliveries import pass_on
from services.notify.notifier import Notifier

Subscriber = Callable[[Notifier, Envelope, Any, UnitOfWork], Awaitable[None]]


async def worker_changed(notifier: Notifier, envelope: Envelope, payload: WorkerRegistered, uow: UnitOfWork) -> None:
    await notices.keep_contact(uow, envelope, payload)


async def campaign_planned(notifier: Notifier, envelope: Envelope, payload: CampaignPlanned, uow: UnitOfWork) -> None:
    await notices.campaign_planned(uow, notifier, envelope, payload)


async def campaign_completed(
    notifier: Notifier, envelope: Envelope, payload: CampaignCompleted, uow: UnitOfWork
) -> None:
    await notices.campaign_completed(uow, notifier, envelope, payload)


async def session_placed(notifier: Notifier, envelope: Envelope, payload: SessionScheduled, uow: UnitOfWork) -> None:
    await notices.place_session(uow, notifier, envelope, payload)


async def session_cancelled(notifier: Notifier, envelope: Envelope, payload: SessionCancelled, uow: UnitOfWork) -> None:
    await notices.cancel_session(uow, notifier, envelope, payload)


async def followup_assigned(notifier: Notifier, envelope: Envelope, payload: FollowupAssigned, uow: UnitOfWork) -> None:
    await notices.assign_followup(uow, notifier, envelope, payload)


async def followup_completed(
    notifier: Notifier, envelope: Envelope, payload: FollowupCompleted, uow: UnitOfWork
) -> None:
    await notices.complete_followup(uow, payload.followup_id)


async def followup_overdue(notifier: Notifier, envelope: Envelope, payload: FollowupOverdue, uow: UnitOfWork) -> None:
    await notices.followup_overdue(uow, notifier, envelope, payload)


async def report_generated(notifier: Notifier, envelope: Envelope, payload: ReportGenerated, uow: UnitOfWork) -> None:
    await notices.report_generated(uow, notifier, envelope, payload)


# Corrections (outreach) ---------------------------------------------------------------------------------------


async def campaign_updated(notifier: Notifier, envelope: Envelope, payload: CampaignUpdated, uow: UnitOfWork) -> None:
    await notices.campaign_updated(uow, envelope, payload)


async def campaign_cancelled(
    notifier: Notifier, envelope: Envelope, payload: CampaignCancelled, uow: UnitOfWork
) -> None:
    await notices.campaign_cancelled(uow, envelope, payload)


async def followup_cancelled(
    notifier: Notifier, envelope: Envelope, payload: FollowupCancelled, uow: UnitOfWork
) -> None:
    await notices.cancel_followup(uow, payload.followup_id)


# End of corrections (outreach) --------------------------------------------------------------------------------


async def institution_formed(
    notifier: Notifier, envelope: Envelope, payload: InstitutionFormed, uow: UnitOfWork
) -> None:
    await notices.institution_formed(uow, notifier, envelope, payload)


async def anything_else(notifier: Notifier, envelope: Envelope, payload: Any, uow: UnitOfWork) -> None:
    """Events that mean nothing to notify itself: only passed on."""


SUBSCRIBERS: dict[tuple[str, ...], Subscriber] = {
    ("worker_registered", "worker_updated"): worker_changed,
    ("campaign_planned",): campaign_planned,
    ("campaign_completed",): campaign_completed,
    ("session_scheduled", "session_rescheduled"): session_placed,
    ("session_cancelled",): session_cancelled,
    ("followup_assigned",): followup_assigned,
    ("followup_completed",): followup_completed,
    ("followup_overdue",): followup_overdue,
    ("report_generated",): report_generated,
    # Corrections (outreach)
    ("campaign_updated",): campaign_updated,
    ("campaign_cancelled",): campaign_cancelled,
    ("followup_cancelled",): followup_cancelled,
    ("WKSBM_formed", "Pokja_formed", "KarangTaruna_formed"): institution_formed,
}


def _then_pass_on(subscriber: Subscriber, notifier: Notifier) -> Callable[[Envelope, Any, UnitOfWork], Awaitable[None]]:
    async def handle(envelope: Envelope, payload: Any, uow: UnitOfWork) -> None:
        await subscriber(notifier, envelope, payload, uow)
        await pass_on(uow, notifier, envelope)

    return handle


def handlers_for(notifier: Notifier) -> EventHandlers:
    """The subscribers, bound to the notifier's configuration."""
    handlers = EventHandlers()
    for event_types, subscriber in SUBSCRIBERS.items():
        handlers.on(*event_types)(_then_pass_on(subscriber, notifier))
    handlers.otherwise(_then_pass_on(anything_else, notifier))
    return handlers


async def session_reminder(notifier: Notifier, data: dict[str, Any], uow: UnitOfWork) -> None:
    await notices.remind_session(uow, notifier, data["session_id"], data["stage"], data["starts_at"])


async def followup_due(notifier: Notifier, data: dict[str, Any], uow: UnitOfWork) -> None:
    await notices.followup_due(uow, notifier, data["followup_id"])


def timer_handlers_for(notifier: Notifier) -> dict[str, TimerHandler]:
    return {
        notices.REMINDER: partial(session_reminder, notifier),
        notices.FOLLOWUP_DUE: partial(followup_due, notifier),
    }
