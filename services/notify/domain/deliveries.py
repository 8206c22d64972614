"""A delivery: the message a planned delivery carries, the document recorded for it, and what an attempt changes.

Each distinct message of a notice is written once (every address a rule lists shares one), and all of a notice's
messages share `RENDER_SECONDS`: rendering happens inside the consumer's transaction, so it is bounded per notice;
recipients past the time fail (`template`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts.events.notify import FailureReason
from pilar_runtime.errors import Conflict
from pilar_runtime.personal import without_personal_data
from services.notify.domain.context import notice_context
from services.notify.domain.plan import Planned
from services.notify.domain.render import TemplateProblem, render, template_label
from services.notify.domain.skips import Skip
from services.notify.domain.timing import retry_wait

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


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    template: str | None = None  # the shipped template that wrote it, when one did


NO_MESSAGE = Message("", "")


def compose(
    item: Planned,
    subject: str,
    facts: dict[str, Any],
    *,
    public_base_url: str,
    deadline: float,
    link_token: str | None = None,
) -> tuple[Message, Failure | None]:
    """The message of one planned delivery of a notice, or why it cannot be written. `deadline` (a
    `time.monotonic()` instant) is the notice's time for all of its messages; `link_token` signs a report link."""
    if item.channel == "webhook":  # a webhook rule: the notice's facts as JSON, signed like any webhook
        return Message(subject, json.dumps({"notice": subject, "facts": without_personal_data(facts)})), None
    if time.monotonic() >= deadline:
        return NO_MESSAGE, Failure(FailureReason.TEMPLATE, _SPENT)
    try:
        context = notice_context(
            subject,
            facts,
            public_base_url=public_base_url,
            penerima=item.recipient_name or "Bapak/Ibu",
            link_token=link_token,
        )
        rendered = render(item.channel, subject, context, item.template, deadline=deadline)
    except KeyError as exc:
        detail = f"the event lacks the fact {exc.args[0]!r} the template needs"
        return NO_MESSAGE, Failure(FailureReason.TEMPLATE, detail)
    except TemplateProblem as exc:
        cut_short = time.monotonic() >= deadline  # by the notice's time, not by its own budget
        return NO_MESSAGE, Failure(FailureReason.TEMPLATE, _SPENT if cut_short else str(exc))
    return Message(rendered.subject, rendered.body, rendered.template), None


@dataclass(frozen=True)
class Source:
    """What a delivery answers: the notice (`<producer>.<kind>`) or bus event, its id and type, its region."""

    subject: str
    event_id: str
    event_type: str
    region_code: str


def new_delivery(
    delivery_id: str,
    item: Planned,
    source: Source,
    message: Message,
    problem: Failure | None,
    *,
    now: datetime,
    due_at: datetime,
    no_lease: datetime,
) -> dict[str, Any]:
    """The delivery document: `pending` from `due_at`, or `failed` at once when its message could not be written."""
    shipped_or_custom = "envelope" if item.channel == "webhook" else template_label(item.template)
    return {
        "_id": delivery_id,
        "event_id": source.event_id,
        "event_type": source.event_type,
        "notice": source.subject,
        "channel": item.channel,
        "recipient": item.recipient,
        "recipient_id": item.recipient_id,
        "recipient_region": item.recipient_region,
        "rule_id": item.rule_id,
        "template": message.template or shipped_or_custom,
        "region_code": source.region_code,
        "status": "failed" if problem else "pending",
        "attempts": [problem.attempt(now)] if problem else [],
        "failed_reason": problem.detail if problem else None,
        "failure": problem.reason.value if problem else None,
        "created_at": now,
        "next_attempt_at": due_at,
        "lease_until": no_lease,
        "version": 1,
        "_message": {"subject": message.subject, "body": message.body},
    }


def skipped_delivery(
    delivery_id: str, item: Planned, source: Source, skip: Skip, *, now: datetime, no_lease: datetime
) -> dict[str, Any]:
    """The delivery of a notice that comes too late: in the log as `skipped`, with the reason; no message is written
    and the dispatcher never claims it."""
    document = new_delivery(delivery_id, item, source, NO_MESSAGE, None, now=now, due_at=now, no_lease=no_lease)
    del document["_message"]
    return {**document, "status": "skipped", "reason": skip.reason, "skipped_reason": skip.detail}


@dataclass(frozen=True)
class Retries:
    """The waits after each failed attempt (`NOTIFY_RETRY_SCHEDULE`), the same for every channel."""

    schedule: tuple[float, ...]

    @property
    def max_attempts(self) -> int:
        return len(self.schedule) + 1


@dataclass(frozen=True)
class Attempt:
    """A send the dispatcher finished under its lease, waiting to be recorded: the delivery as claimed, when the send
    ended, its failure (None: sent), and the schedule a failure follows."""

    delivery: dict[str, Any]
    at: datetime
    error: Failure | None
    retries: Retries


def after_attempt(
    attempt: int, error: Failure | None, now: datetime, retries: Retries
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Attempt number `attempt` (1-based) as the log keeps it, and what it changes: sent; due again after the
    schedule's wait; or failed for good once the schedule is spent (a retry asked for by hand gets one attempt)."""
    entry = {"at": now, "outcome": "sent", "error": None} if error is None else error.attempt(now)
    if error is None:
        # A sent message is not kept: its body may hold a signed report link, which opens the report to its bearer.
        return entry, {"status": "sent", "sent_at": now, "_message": None}
    wait = retry_wait(attempt, retries.schedule)
    if wait is None:
        return entry, {"status": "failed", "failed_reason": error.detail, "failure": error.reason.value}
    return entry, {"next_attempt_at": now + wait}


def retried(delivery: dict[str, Any], actor: str, now: datetime) -> dict[str, Any]:
    """A failed or pending delivery made due now, with who asked and when: one more attempt, the schedule's rule
    after it (failed again if that fails after the schedule was spent). A sent or skipped one, or one being attempted
    this moment: 409."""
    status = delivery.get("status")
    if status not in ("failed", "pending"):
        raise Conflict(
            {"rule": f"delivery_{status}", "message": f"the delivery is {status}; there is nothing to retry"}
        )
    if status == "pending" and delivery.get("lease_until") is not None and delivery["lease_until"] > now:
        raise Conflict({"rule": "delivery_in_progress", "message": "the delivery is being attempted right now"})
    return {
        "status": "pending",
        "next_attempt_at": now,
        "failed_reason": None,
        "failure": None,
        "retried_at": now,
        "retried_by": actor,
        "version": int(delivery.get("version", 1)) + 1,
    }
