"""The sender loop: takes due pending deliveries under a lease, sends them outside any transaction, and records
each attempt (time, outcome, error) with its event in one transaction.

Several replicas may run it: a delivery is claimed by one of them at a time, and a replica that dies leaves a
lease that expires. Sending is at least once in that case (the receiver sees `X-Pilar-Delivery-Id` / the
Message-ID to de-duplicate); every other path sends once.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import structlog

from contracts.events.notify import FailureReason
from pilar_runtime.logs import bound_contextvars
from pilar_runtime.mongo import Mongo
from services.notify import store
from services.notify.channels import DeliveryError, Outgoing, Sender
from services.notify.commands.deliveries import record_attempt
from services.notify.domain.deliveries import Failure, Retries
from services.notify.domain.timing import QuietHours, TokenBucket

log = structlog.get_logger("notify.dispatcher")


class Dispatcher:
    def __init__(
        self,
        mongo: Mongo,
        senders: dict[str, Sender],
        buckets: dict[str, TokenBucket],
        *,
        quiet: QuietHours,
        clock: Callable[[], datetime],
        max_attempts: int,
        retry_base_seconds: float,
        retry_max_delay_seconds: float,
        batch: int = 50,
        concurrency: int = 16,
        poll_seconds: float = 0.5,
        lease_seconds: float = 30.0,
    ) -> None:
        self.mongo = mongo
        self.senders = senders
        self.buckets = buckets
        self.quiet = quiet
        self.clock = clock
        self.retries = Retries(max_attempts, retry_base_seconds, retry_max_delay_seconds)
        self.batch = batch
        self.limit = asyncio.Semaphore(concurrency)
        self.poll_seconds = poll_seconds
        self.lease = timedelta(seconds=lease_seconds)
        self.owner = f"notify-{uuid.uuid4().hex[:8]}"
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        try:
            while not self._stopping.is_set():
                try:
                    sent = await self.dispatch_once()
                except Exception as exc:  # Mongo away: the deliveries wait in the log, try again
                    log.warning("notify.dispatch_failed", error=str(exc))
                    sent = 0
                if sent < self.batch:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
                    self._wake.clear()
        finally:
            for sender in self.senders.values():
                await sender.close()

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def dispatch_once(self) -> int:
        """Claim and handle one batch of due deliveries; returns how many were claimed."""
        claimed = await self._claim()
        if claimed:
            secrets = await store.webhook_secrets(
                self.mongo.db, {d["recipient_id"] for d in claimed if d["channel"] == "webhook"}
            )
            await asyncio.gather(*(self._deliver(d, secrets.get(d["recipient_id"])) for d in claimed))
        return len(claimed)

    async def _claim(self) -> list[dict[str, Any]]:
        now = self.clock()
        deliveries = self.mongo.db[store.DELIVERIES]
        due = store.due_filter(now)
        ids = [d["_id"] async for d in deliveries.find(due, {"_id": 1}).sort("next_attempt_at", 1).limit(self.batch)]
        if not ids:
            return []
        claim = {"lease_owner": self.owner, "lease_until": now + self.lease}
        # Taken only if nobody holds it; `status` is checked on reading back (a cheaper update filter).
        await deliveries.update_many({"_id": {"$in": ids}, "lease_until": {"$lt": now}}, {"$set": claim})
        return [d async for d in deliveries.find({"_id": {"$in": ids}, "status": "pending", **claim})]

    async def _deliver(self, delivery: dict[str, Any], secret: str | None) -> None:
        with bound_contextvars(delivery_id=delivery["_id"], channel=delivery["channel"]):
            if self._held(delivery["channel"]):
                return await self._hold(delivery)
            async with self.limit:
                await self._take_token(delivery["channel"])
                message = Outgoing(
                    delivery_id=delivery["_id"],
                    channel=delivery["channel"],
                    recipient=delivery["recipient"],
                    subject=delivery["_message"]["subject"],
                    body=delivery["_message"]["body"],
                    event_id=delivery["event_id"],
                    event_type=delivery["event_type"],
                    secret=secret,
                )
                error: Failure | None = None
                try:
                    await self.senders[delivery["channel"]].send(message)
                except DeliveryError as exc:
                    error = Failure(exc.reason, str(exc))
                except Exception as exc:  # a sender bug must not kill the loop: it is a failed attempt
                    error = Failure(FailureReason.INTERNAL, f"{type(exc).__name__}: {exc}")
                try:
                    await self.mongo.transact(
                        lambda uow: record_attempt(
                            uow, delivery, error, owner=self.owner, now=self.clock(), retries=self.retries
                        )
                    )
                except Exception:
                    log.exception("notify.record_failed")  # the lease expires and the delivery is tried again

    def _held(self, channel: str) -> bool:
        """A channel that waits through the quiet hours, while they last."""
        sender = self.senders.get(channel)
        return sender is not None and sender.quiet_hours and self.quiet.is_quiet(self.clock())

    async def _take_token(self, channel: str) -> None:
        bucket = self.buckets.get(channel)
        while bucket is not None and (wait := bucket.take()) > 0:
            await asyncio.sleep(wait)

    async def _hold(self, delivery: dict[str, Any]) -> None:
        release = self.quiet.release(self.clock())
        await store.hold(self.mongo, delivery["_id"], self.owner, release)
        log.info("notify.sms_held_quiet_hours", until=release.isoformat())
