"""The sender loop: takes due pending deliveries under a lease, sends them outside any transaction, and records
each attempt (time, outcome, error) with its event — finished sends in batches, one transaction each (`recorder.py`).

Several replicas may run it: a delivery is claimed by one of them at a time, and a replica that dies leaves a
lease that expires. Sending is at least once in that case, and when an attempt cannot be recorded (the receiver
sees `X-Pilar-Delivery-Id` / the Message-ID to de-duplicate); every other path sends once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from typing import Any

import structlog
from prometheus_client import Counter

from contracts.events.notify import FailureReason
from pilar_runtime.logs import bound_contextvars
from pilar_runtime.mongo import Mongo
from pilar_runtime.poller import LeasedPoller
from services.notify import store
from services.notify.channels import DeliveryError, Outgoing, Sender
from services.notify.commands.deliveries import record_attempts
from services.notify.domain.deliveries import Attempt, Failure, Retries
from services.notify.domain.timing import QuietHours, TokenBucket, recipient_zone
from services.notify.domain.webhooks import Keys
from services.notify.recorder import AttemptRecorder

log = structlog.get_logger("notify.dispatcher")
# A paused webhook's delivery is looked at again this often; resuming makes its deliveries due at once anyway.
PAUSED_RECHECK = timedelta(minutes=10)
GONE = "the webhook was deleted"
# Finished sends are recorded together once this many wait, or this long after the first finished: a few ms
# delay a delivery's record and event, and save a transaction for each delivery but one of a batch.
RECORD_BATCH = 100
RECORD_LINGER_SECONDS = 0.01

DELIVERY_ATTEMPTS = Counter(
    "pilar_delivery_attempts_total",
    "Attempts to send a notification, by channel and outcome (sent, failed)",
    ["service", "channel", "outcome"],
)


class Dispatcher(LeasedPoller):
    failure_event = "notify.dispatch_failed"

    def __init__(
        self,
        mongo: Mongo,
        senders: dict[str, Sender],
        buckets: dict[str, TokenBucket],
        *,
        quiet: QuietHours,
        clock: Callable[[], datetime],
        retries: Retries,
        batch: int = 50,
        concurrency: int = 16,
        poll_seconds: float = 0.5,
        lease_seconds: float = 30.0,
        record_batch: int = RECORD_BATCH,
        record_linger: float = RECORD_LINGER_SECONDS,
    ) -> None:
        super().__init__(owner_prefix="notify", poll_seconds=poll_seconds, lease_seconds=lease_seconds, clock=clock)
        self.mongo = mongo
        self.senders = senders
        self.buckets = buckets
        self.quiet = quiet
        self.retries = retries
        self.batch = batch
        self.limit = asyncio.Semaphore(concurrency)
        self.recorder = AttemptRecorder(self._record_batch, size=record_batch, linger=record_linger)
        self._next: asyncio.Task[list[dict[str, Any]]] | None = None

    async def run(self) -> None:
        try:
            await super().run()
        finally:
            await self._give_back_next()
            await self.recorder.drain()
            for sender in self.senders.values():
                await sender.close()

    async def poll_once(self) -> bool:
        return await self.dispatch_once() >= self.batch

    async def dispatch_once(self) -> int:
        """Handle one batch of due deliveries; returns how many it took.

        After a full batch more are likely due: the next batch is claimed while this one is sent, and this one's
        attempts are recorded while the next is sent (each turn waits for the one before it to be recorded, so
        recording stays at most one batch behind). A turn after which nothing is claimed ahead returns only once
        every attempt is recorded."""
        ahead, self._next = self._next, None
        claimed = await ahead if ahead is not None else await self._claim()
        if len(claimed) >= self.batch:
            self._next = asyncio.create_task(self._claim())
        before = self.recorder.added
        if claimed:
            keys = await store.webhook_keys(
                self.mongo.db, {d["recipient_id"] for d in claimed if d["channel"] == "webhook"}, self.clock()
            )
            await asyncio.gather(*(self._deliver(d, keys.get(d["recipient_id"])) for d in claimed))
        await (self.recorder.recorded(before) if self._next is not None else self.recorder.drain())
        return len(claimed)

    async def _claim(self) -> list[dict[str, Any]]:
        due = store.due_filter(self.clock())
        return await self.claim_batch(
            self.mongo.db[store.DELIVERIES], due, sort=[("next_attempt_at", 1)], limit=self.batch
        )

    async def _deliver(self, delivery: dict[str, Any], keys: Keys | None) -> None:
        with bound_contextvars(delivery_id=delivery["_id"], channel=delivery["channel"]):
            if self._held(delivery):
                return await self._hold(delivery)
            if keys is not None and keys.deleted:  # deleting a webhook stops its deliveries, waiting ones too
                return self._record(delivery, Failure(FailureReason.NOT_CONFIGURED, GONE), Retries(()))
            if keys is not None and keys.paused:  # waits, with no attempt spent, until the webhook is resumed
                return await store.hold(self.mongo, delivery["_id"], self.owner, self.clock() + PAUSED_RECHECK)
            async with self.limit:
                await self._take_token(delivery["channel"])
                message = Outgoing(
                    delivery_id=delivery["_id"],
                    channel=delivery["channel"],
                    recipient=keys.url if keys else delivery["recipient"],
                    subject=delivery["_message"]["subject"],
                    body=delivery["_message"]["body"],
                    event_id=delivery["event_id"],
                    event_type=delivery["event_type"],
                    secret=keys.secret if keys else None,
                    previous_secret=keys.previous if keys else None,
                )
                error: Failure | None = None
                try:
                    await self.senders[delivery["channel"]].send(message)
                except DeliveryError as exc:
                    error = Failure(exc.reason, str(exc))
                except Exception as exc:  # a sender bug must not kill the loop: it is a failed attempt
                    error = Failure(FailureReason.INTERNAL, f"{type(exc).__name__}: {exc}")
                self._record(delivery, error, self.retries)

    def _record(self, delivery: dict[str, Any], error: Failure | None, retries: Retries) -> None:
        DELIVERY_ATTEMPTS.labels("notify", delivery["channel"], "sent" if error is None else "failed").inc()
        self.recorder.add(Attempt(delivery, self.clock(), error, retries))

    async def _record_batch(self, attempts: list[Attempt]) -> None:
        await self.mongo.transact(lambda uow: record_attempts(uow, attempts, owner=self.owner))

    async def _give_back_next(self) -> None:
        """The batch claimed ahead, never to be sent by this replica (it stops): its leases end now, so that another
        replica need not wait for them to expire."""
        ahead, self._next = self._next, None
        if ahead is None:
            return
        try:
            claimed = await ahead
        except Exception:  # nothing was claimed, or the leases expire in their time
            return
        await store.give_back(self.mongo, [d["_id"] for d in claimed], self.owner)

    def _held(self, delivery: dict[str, Any]) -> bool:
        """A channel that waits through the quiet hours, while they last on the recipient's clock."""
        sender = self.senders.get(delivery["channel"])
        return sender is not None and sender.quiet_hours and self.quiet.is_quiet(self.clock(), _zone(delivery))

    async def _take_token(self, channel: str) -> None:
        bucket = self.buckets.get(channel)
        while bucket is not None and (wait := bucket.take()) > 0:
            await asyncio.sleep(wait)

    async def _hold(self, delivery: dict[str, Any]) -> None:
        release = self.quiet.release(self.clock(), _zone(delivery))
        await store.hold(self.mongo, delivery["_id"], self.owner, release)
        log.info("notify.sms_held_quiet_hours", until=release.isoformat())


def _zone(delivery: dict[str, Any]) -> tzinfo:
    return recipient_zone(delivery.get("recipient_region"), delivery["region_code"])
