"""The outbox relay: publishes committed outbox documents with publisher confirms, then marks them sent.

Several relays may run (one per replica): each claims a batch under a lease, so a document is published by
one relay at a time; a relay that dies mid-batch leaves leases that expire and another relay takes over.
Delivery is at least once — consumers are idempotent through their inbox.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import aio_pika
import structlog
from aio_pika.abc import AbstractExchange

from pilar_runtime.metrics import OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE
from pilar_runtime.mongo import OUTBOX, Mongo
from pilar_runtime.poller import LeasedPoller

log = structlog.get_logger("pilar.outbox")


class OutboxRelay(LeasedPoller):
    failure_event = "outbox.relay_failed"

    def __init__(
        self,
        mongo: Mongo,
        exchange: AbstractExchange,
        *,
        service: str,
        user_id: str,
        batch: int = 200,
        poll_seconds: float = 0.5,
        lease_seconds: float = 30.0,
        max_backoff_seconds: float = 30.0,
    ) -> None:
        super().__init__(
            owner_prefix=service,
            poll_seconds=poll_seconds,
            lease_seconds=lease_seconds,
            max_backoff_seconds=max_backoff_seconds,
        )
        self.mongo = mongo
        self.exchange = exchange
        self.service = service
        self.user_id = user_id
        self.batch = batch

    async def poll_once(self) -> bool:
        return await self.relay_once() >= self.batch

    async def relay_once(self) -> int:
        """Claim a batch, publish it with confirms, mark it sent. Returns how many were published."""
        documents = await self._claim()
        if not documents:
            return 0
        await asyncio.gather(*(self._publish(d) for d in documents))
        await self.mongo.db[OUTBOX].update_many(
            {"_id": {"$in": [d["_id"] for d in documents]}, "lease_owner": self.owner},
            {"$set": {"sent_at": datetime.now(UTC)}, "$unset": {"lease_until": "", "lease_owner": ""}},
        )
        for d in documents:
            log.debug("outbox.published", event_id=d["event_id"], event_type=d["event_type"])
        return len(documents)

    async def _claim(self) -> list[dict[str, Any]]:
        return await self.claim_batch(
            self.mongo.db[OUTBOX],
            {"sent_at": None},
            sort=[("_id", 1)],
            limit=self.batch,
            inc={"attempts": 1},
            stamp="claimed_at",
        )

    async def _publish(self, document: dict[str, Any]) -> None:
        message = aio_pika.Message(
            body=document["body"],
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=document["event_id"],
            type=document["event_type"],
            correlation_id=document["correlation_id"],
            app_id=self.service,
            # The connection's own broker user: the broker vouches for it, consumers check it is the producer's.
            user_id=self.user_id,
            # The trace context of the request or handler that wrote the event: the consumer continues it.
            headers=document.get("trace") or None,
        )
        # The channel is in confirm mode: this returns once the broker has taken responsibility for it.
        await self.exchange.publish(message, routing_key=document["routing_key"], mandatory=False)


async def outbox_backlog(mongo: Mongo) -> tuple[int, float | None]:
    """Events recorded but not yet published, and the age in seconds of the oldest (its ObjectId says when it was
    written; None when nothing waits)."""
    unsent = mongo.db[OUTBOX]
    backlog = await unsent.count_documents({"sent_at": None})
    oldest = await unsent.find_one({"sent_at": None}, {"_id": 1}, sort=[("_id", 1)])
    if oldest is None or not hasattr(oldest["_id"], "generation_time"):
        return backlog, None
    return backlog, max(0.0, (datetime.now(UTC) - oldest["_id"].generation_time).total_seconds())


async def measure_outbox(mongo: Mongo, service: str) -> None:
    backlog, age = await outbox_backlog(mongo)
    OUTBOX_BACKLOG.labels(service=service).set(backlog)
    OUTBOX_OLDEST_AGE.labels(service=service).set(age or 0.0)
