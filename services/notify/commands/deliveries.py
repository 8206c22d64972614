"""Recording deliveries, inside the caller's unit of work (an event handler or a timer), and their attempts.

Nothing is sent here: deliveries are written `pending` and the dispatcher sends them after the commit, so a slow
SMTP server never holds a consumer's transaction and a rolled-back handler sends nothing. Rendering does happen
here, bounded per notice (`domain/deliveries.py`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import structlog

from contracts.envelope import Envelope
from pilar_runtime.auth import Caller, Role
from pilar_runtime.errors import Conflict, NotFound
from pilar_runtime.models import new_id
from pilar_runtime.mongo import Mongo, UnitOfWork
from pilar_runtime.personal import without_personal_data
from services.notify import store
from services.notify.channels import held_in_quiet_hours
from services.notify.commands.owners import managed_by, owner_filter, require_manager
from services.notify.domain.deliveries import (
    RENDER_SECONDS,
    Attempt,
    Failure,
    Message,
    Source,
    after_attempt,
    compose,
    new_delivery,
    retried,
    skipped_delivery,
)
from services.notify.domain.kinds import kind_name
from services.notify.domain.plan import Planned, Webhook, plan_notices, plan_webhooks
from services.notify.domain.rules import Rule, role_members
from services.notify.domain.skips import Skip
from services.notify.domain.timing import recipient_zone
from services.notify.events import outcome_event
from services.notify.notifier import Notifier

log = structlog.get_logger("notify.notices")


async def record_notice(
    uow: UnitOfWork,
    notifier: Notifier,
    *,
    subject: str,
    event_id: str,
    region_code: str,
    facts: dict[str, Any],
    skip: Skip | None = None,
) -> int:
    """Record the deliveries the rules ask for — as skipped, with the reason, when `skip` says the notice comes too
    late; returns how many are new."""
    rules = [*notifier.defaults, *await _rules(uow)]
    applicable = [r for r in rules if r.applies(subject, region_code)]
    if not applicable:
        return 0
    people = {p for r in applicable for role in r.roles for p in role_members(role, facts)}
    contacts = await store.load_contacts(uow, people)
    webhooks = {w.id: w for w in await _webhooks(uow)}
    planned, unreachable = plan_notices(subject, region_code, facts, applicable, contacts, webhooks)
    if unreachable:
        log.info("notify.recipients_unreachable", count=len(unreachable), worker_ids=unreachable)
    source = Source(subject, event_id, kind_name(subject), region_code)
    if skip is not None:
        return sum([await _record_skipped(uow, notifier, item, source, skip) for item in planned])
    deadline = time.monotonic() + RENDER_SECONDS
    report_id = facts.get("report_id") if source.event_type == "report_generated" else None
    link_token = notifier.report_link_token(str(report_id)) if report_id else None
    messages: dict[tuple[str, str | None, str], tuple[Message, Failure | None]] = {}
    new = 0
    for item in planned:
        same = (item.channel, item.template, item.recipient_name)  # all a message depends on, with the notice
        if same not in messages:  # rendering is bounded, but takes the consumer's loop: done on a thread
            messages[same] = await asyncio.to_thread(
                compose,
                item,
                subject,
                facts,
                public_base_url=notifier.public_base_url,
                deadline=deadline,
                link_token=link_token,
            )
        new += await _record(uow, notifier, item, source, *messages[same])
    return new


async def pass_on(uow: UnitOfWork, notifier: Notifier, envelope: Envelope) -> int:
    """Every registered webhook that wants this bus event gets the envelope, without personal data: notify
    needs a worker's phone and e-mail to invite them, a district system does not."""
    hooks = await _webhooks(uow)
    shared = envelope.model_copy(update={"payload": without_personal_data(envelope.payload)})
    message = Message("", shared.to_json().decode())
    source = Source(envelope.routing_key, str(envelope.event_id), envelope.event_type, envelope.region_code)
    new = 0
    for item in plan_webhooks(envelope.routing_key, envelope.region_code, hooks):
        new += await _record(uow, notifier, item, source, message, None)
    return new


# Rules and webhooks are looked up once for a batch of events: only the API changes them, never a handler.


async def _rules(uow: UnitOfWork) -> list[Rule]:
    return await uow.read_once(store.RULES, lambda: store.load_rules(uow.db, uow.session))


async def _webhooks(uow: UnitOfWork) -> list[Webhook]:
    return await uow.read_once(store.WEBHOOKS, lambda: store.load_webhooks(uow.db, uow.session))


async def _record(
    uow: UnitOfWork, notifier: Notifier, item: Planned, source: Source, message: Message, problem: Failure | None
) -> int:
    now = notifier.clock()
    # A channel that waits through the quiet hours, planned in them, is due in the morning; the rest at once.
    zone = recipient_zone(item.recipient_region, source.region_code)
    due_at = notifier.quiet.release(now, zone) if held_in_quiet_hours(item.channel) else now
    document = new_delivery(
        new_id("dlv"), item, source, message, problem, now=now, due_at=due_at, no_lease=store.NO_LEASE
    )
    if not await store.record_delivery(uow.db, uow.session, document):
        return 0
    uow.leave_work(store.DELIVERIES)
    if problem:
        log.warning("notify.delivery_failed", delivery_id=document["_id"], reason=problem.detail)
        uow.emit(outcome_event(document, attempts=1, reason=problem.reason))
    else:
        log.info("notify.delivery_planned", delivery_id=document["_id"], channel=item.channel)
    return 1


async def _record_skipped(uow: UnitOfWork, notifier: Notifier, item: Planned, source: Source, skip: Skip) -> int:
    document = skipped_delivery(new_id("dlv"), item, source, skip, now=notifier.clock(), no_lease=store.NO_LEASE)
    if not await store.record_delivery(uow.db, uow.session, document):
        return 0
    log.info("notify.delivery_skipped", delivery_id=document["_id"], channel=item.channel, reason=skip.reason)
    return 1


async def record_attempts(uow: UnitOfWork, attempts: Sequence[Attempt], *, owner: str) -> None:
    """Attempts the dispatcher made under its lease, recorded together: each in its delivery's log, with
    `notification_sent`, or `notification_failed` after the last attempt. An attempt whose lease was lost to another
    replica is not recorded: that replica's record wins."""
    changes: dict[str, tuple[Attempt, int, dict[str, Any], dict[str, Any]]] = {}
    for attempt in attempts:
        delivery = attempt.delivery
        number = len(delivery.get("attempts", [])) + 1
        entry, change = after_attempt(number, attempt.error, attempt.at, attempt.retries)
        change |= {"version": delivery["version"] + 1, "lease_until": store.NO_LEASE}
        changes[delivery["_id"]] = (attempt, number, entry, change)
    held = await store.record_attempts(uow, owner, {i: (change, entry) for i, (_, _, entry, change) in changes.items()})
    for delivery_id, (attempt, number, _, change) in changes.items():
        if delivery_id in held:
            _recorded(uow, attempt, number, change)
        else:
            log.info("notify.lease_lost", delivery_id=delivery_id, attempt=number)


def _recorded(uow: UnitOfWork, attempt: Attempt, number: int, change: dict[str, Any]) -> None:
    document, error = {**attempt.delivery, "version": change["version"]}, attempt.error
    where = {"delivery_id": document["_id"], "channel": document["channel"], "attempt": number}
    if error is None:
        log.info("notify.delivery_sent", **where)
        uow.emit(outcome_event(document, attempts=number))
    elif change.get("status") == "failed":
        log.warning("notify.delivery_gave_up", **where, error=error.detail)
        uow.emit(outcome_event(document, attempts=number, reason=error.reason))
    else:
        log.info("notify.delivery_retry", **where, error=error.detail, next_at=change["next_attempt_at"].isoformat())


async def visible_to(mongo: Mongo, caller: Caller) -> dict[str, Any]:
    """The filter narrowing the delivery log to what the caller may list: an integration, only the deliveries to
    its own webhooks (deleted ones included: what was sent to them stays its record), not its region's others;
    staff, everything of their region (the region filter is the caller's own)."""
    if caller.role is not Role.INTEGRATION:
        return {}
    return {"channel": "webhook", "recipient_id": {"$in": await store.webhook_ids(mongo, owner_filter(caller))}}


async def retry_delivery(mongo: Mongo, delivery_id: str, caller: Caller, now: datetime) -> dict[str, Any]:
    """`POST /deliveries/{id}/retry`: staff writers of the region, or the integration whose webhook it goes to.
    Another integration's delivery is not found (404), one outside the caller's region is 403."""
    require_manager(caller)
    found = await store.delivery(mongo, delivery_id)
    if found is None:
        raise NotFound(f"delivery {delivery_id} does not exist")
    caller.require_record(found["region_code"], "delivery", delivery_id)
    webhook = await store.by_id(mongo, store.WEBHOOKS, found["recipient_id"]) if found["channel"] == "webhook" else None
    if caller.role is Role.INTEGRATION and (webhook is None or not managed_by(caller, webhook)):
        raise NotFound(f"delivery {delivery_id} does not exist")
    if webhook is not None and webhook.get("deleted_at") is not None:
        raise Conflict({"rule": "webhook_deleted", "message": "the webhook was deleted; it is sent nothing more"})
    changes = retried(found, caller.sub, now)
    if not await store.change_unleased(mongo, delivery_id, found["version"], now, changes):
        raise Conflict({"rule": "changed_meanwhile", "message": "the delivery was being attempted; read it again"})
    log.info("notify.delivery_retry_asked", delivery_id=delivery_id)
    return {**found, **changes}
