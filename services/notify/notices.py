"""Turning a notice into recorded deliveries, inside the caller's transaction (a handler or a timer).

Nothing is sent here: deliveries are written `pending` and the dispatcher sends them after the commit, so a
slow SMTP server never holds a consumer's transaction and a rolled-back handler sends nothing. Rendering does
happen inside it, so it is bounded per notice: each distinct message is rendered once (every address a rule
lists shares one), and all of a notice's renders share `RENDER_SECONDS`; recipients past it fail (`template`).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog

from contracts.envelope import Envelope
from contracts.events.notify import FailureReason, NotificationFailed, NotificationSent
from pilar_runtime.events import new_event
from pilar_runtime.models import new_id
from pilar_runtime.mongo import UnitOfWork
from pilar_runtime.personal import without_personal_data
from services.notify import store
from services.notify.domain.context import notice_context
from services.notify.domain.kinds import kind_name
from services.notify.domain.plan import Planned, plan_notices, plan_webhooks
from services.notify.domain.render import TemplateProblem, render, template_label
from services.notify.domain.rules import Rule, role_members
from services.notify.domain.timing import QuietHours

log = structlog.get_logger("notify.notices")
Clock = Callable[[], datetime]
RENDER_SECONDS = 2.0  # all renders of one notice, however many recipients its rules list
_SPENT = f"the notice's {RENDER_SECONDS:g} s for writing its messages were spent on other recipients"


@dataclass(frozen=True)
class Failure:
    """A failed attempt: the category the event tells, and the detail only the delivery log keeps (a server's
    refusal names the mailbox, a template's problem names the fact)."""

    reason: FailureReason
    detail: str

    def attempt(self, at: datetime) -> dict[str, Any]:
        return {"at": at, "outcome": "failed", "reason": self.reason.value, "error": self.detail}


@dataclass
class Notifier:
    defaults: list[Rule]
    quiet: QuietHours
    public_base_url: str
    clock: Clock

    async def notice(
        self, uow: UnitOfWork, *, subject: str, event_id: str, region_code: str, facts: dict[str, Any]
    ) -> int:
        """Record the deliveries the rules ask for; returns how many are new."""
        rules = [*self.defaults, *await store.load_rules(uow.db, uow.session)]
        applicable = [r for r in rules if r.applies(subject, region_code)]
        if not applicable:
            return 0
        people = {p for r in applicable for role in r.roles for p in role_members(role, facts)}
        contacts = await store.load_contacts(uow.db, people, uow.session)
        webhooks = {w.id: w for w in await store.load_webhooks(uow.db, uow.session)}
        planned, unreachable = plan_notices(subject, region_code, facts, applicable, contacts, webhooks)
        if unreachable:
            log.info("notify.recipients_unreachable", count=len(unreachable), worker_ids=unreachable)
        new = 0
        deadline = time.monotonic() + RENDER_SECONDS
        messages: dict[tuple[str, str | None, str], tuple[dict[str, str], Failure | None]] = {}
        for item in planned:
            same = (item.channel, item.template, item.recipient_name)  # all a message depends on, with the notice
            if same not in messages:  # rendering is bounded, but takes the consumer's loop: done on a thread
                messages[same] = await asyncio.to_thread(self._compose, item, subject, facts, deadline)
            message, problem = messages[same]
            new += await self._record(
                uow, item, subject=subject, event_id=event_id, event_type=kind_name(subject),
                region_code=region_code, message=message, problem=problem,
            )  # fmt: skip
        return new

    async def webhooks(self, uow: UnitOfWork, envelope: Envelope) -> int:
        """Every registered webhook that wants this bus event gets the envelope, without personal data: notify
        needs a worker's phone and e-mail to invite them, a district system does not."""
        hooks = await store.load_webhooks(uow.db, uow.session)
        new = 0
        shared = envelope.model_copy(update={"payload": without_personal_data(envelope.payload)})
        message = {"subject": "", "body": shared.to_json().decode()}
        for item in plan_webhooks(envelope.routing_key, envelope.region_code, hooks):
            new += await self._record(
                uow, item, subject=envelope.routing_key, event_id=str(envelope.event_id),
                event_type=envelope.event_type, region_code=envelope.region_code, message=message, problem=None,
            )  # fmt: skip
        return new

    def _compose(
        self, item: Planned, subject: str, facts: dict[str, Any], deadline: float
    ) -> tuple[dict[str, str], Failure | None]:
        if item.channel == "webhook":  # a webhook rule: the notice's facts as JSON, signed like any webhook
            body = {"notice": subject, "facts": without_personal_data(facts)}
            return {"subject": subject, "body": json.dumps(body)}, None
        if time.monotonic() >= deadline:
            return {"subject": "", "body": ""}, Failure(FailureReason.TEMPLATE, _SPENT)
        try:
            context = notice_context(
                subject, facts, public_base_url=self.public_base_url, penerima=item.recipient_name or "Bapak/Ibu"
            )
            rendered = render(item.channel, subject, context, item.template, deadline=deadline)
        except KeyError as exc:
            detail = f"the event lacks the fact {exc.args[0]!r} the template needs"
            return {"subject": "", "body": ""}, Failure(FailureReason.TEMPLATE, detail)
        except TemplateProblem as exc:
            cut_short = time.monotonic() >= deadline  # by the notice's time, not by its own budget
            return {"subject": "", "body": ""}, Failure(FailureReason.TEMPLATE, _SPENT if cut_short else str(exc))
        return {"subject": rendered.subject, "body": rendered.body, "template": rendered.template}, None

    async def _record(
        self,
        uow: UnitOfWork,
        item: Planned,
        *,
        subject: str,
        event_id: str,
        event_type: str,
        region_code: str,
        message: dict[str, str],
        problem: Failure | None,
    ) -> int:
        now = self.clock()
        delivery_id = new_id("dlv")
        shipped_or_custom = "envelope" if item.channel == "webhook" else template_label(item.template)
        template = message.get("template") or shipped_or_custom
        document: dict[str, Any] = {
            "_id": delivery_id,
            "event_id": event_id,
            "event_type": event_type,
            "notice": subject,
            "channel": item.channel,
            "recipient": item.recipient,
            "recipient_id": item.recipient_id,
            "recipient_region": item.recipient_region,
            "rule_id": item.rule_id,
            "template": template,
            "region_code": region_code,
            "status": "failed" if problem else "pending",
            "attempts": [problem.attempt(now)] if problem else [],
            "failed_reason": problem.detail if problem else None,
            "failure": problem.reason.value if problem else None,
            "created_at": now,
            # SMS planned in quiet hours waits for the morning; everything else goes at once.
            "next_attempt_at": self.quiet.release(now) if item.channel == "sms" else now,
            "lease_until": store.NO_LEASE,
            "version": 1,
            "_message": {"subject": message["subject"], "body": message["body"]},
        }
        if not await store.record_delivery(uow.db, uow.session, document):
            return 0
        if problem:
            log.warning("notify.delivery_failed", delivery_id=delivery_id, reason=problem.detail)
            uow.emit(outcome_event(document, attempts=1, reason=problem.reason))
        else:
            log.info("notify.delivery_planned", delivery_id=delivery_id, channel=item.channel)
        return 1


def outcome_event(document: dict[str, Any], *, attempts: int, reason: FailureReason | None = None) -> Envelope:
    """`notification_sent`, or `notification_failed` with the reason's category, for a delivery document."""
    facts = {
        "delivery_id": document["_id"],
        "channel": document["channel"],
        "template": document["template"] or "default",
        "source_event_id": document["event_id"],
        "source_event_type": document["event_type"],
        "attempts": attempts,
    }
    payload = NotificationSent(**facts) if reason is None else NotificationFailed(**facts, reason=reason.value)
    return new_event(
        "notification_sent" if reason is None else "notification_failed",
        payload,
        actor="notify",
        region_code=document["region_code"],
        aggregate_id=document["_id"],
        aggregate_version=document["version"],
    )
