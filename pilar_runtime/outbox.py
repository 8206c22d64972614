"""The outbox relay: publishes committed outbox documents with publisher confirms, then marks them sent.

Several relays may run (one per replica): each claims a batch under a lease, so a document is published by
one relay at a time; a relay that dies mid-batch leaves leases that expire and another relay takes over.
Delivery is at least once — consumers are idempotent through their inbox.

The events committed by the relay's own process reach it without a query: their documents are written already
leased to it and handed over on commit (``Mongo.hand_outbox_to``). Querying the outbox for work costs the database
a look at every unsent document, and claiming one a write more; a bulk import committing thousands of events
would pay both for each batch of them. The queries remain for everything else: other processes' events, leases
that ran out, a hand-over refused because too much is waiting.
"""

from __future__ import annotations

import asyncio
from collections import deque
from datetime import UTC, datetime
from typing import Any

import aio_pika
import structlog
from aio_pika.abc import AbstractExchange
from pymongo import UpdateOne

from pilar_runtime.metrics import OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE
from pilar_runtime.mongo import OUTBOX, Mongo
from pilar_runtime.poller import LeasedPoller

log = structlog.get_logger("pilar.outbox")

# Events handed over and not yet published, at most: past this, commits leave theirs to the relay's queries.
MAX_HANDED_OVER = 10_000


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
        self._handed_over: deque[dict[str, Any]] = deque()

    def hand_over_lease(self) -> dict[str, Any] | None:
        """The lease of documents a commit of this process hands over (see ``Mongo.hand_outbox_to``)."""
        if self._stopping.is_set() or len(self._handed_over) >= MAX_HANDED_OVER:
            return None
        now = self.clock()
        return {**self._lease(now), "attempts": 1, "claimed_at": now}

    def take(self, documents: list[dict[str, Any]]) -> None:
        self._handed_over.extend(documents)
        self.wake()

    async def poll_once(self) -> bool:
        if self._handed_over:
            await self.relay_handed_over()
            # Once all is out, the outbox is queried at the next poll, not at once: while commits keep handing
            # events over, a query after each would cost more than it finds.
            return bool(self._handed_over)
        return await self.relay_once() >= self.batch

    async def relay_handed_over(self) -> int:
        """Publish a batch of what commits handed over, oldest first. Those whose lease ran out meanwhile are left
        to whichever relay claims them; a batch that fails stays first in line."""
        now = self.clock()
        documents: list[dict[str, Any]] = []
        while self._handed_over and len(documents) < self.batch:
            document = self._handed_over.popleft()
            if document["lease_until"] > now:
                documents.append(document)
        try:
            return await self._publish_all(documents)
        except BaseException:
            self._handed_over.extendleft(reversed(documents))
            raise

    async def relay_once(self) -> int:
        """Claim a batch, publish it with confirms, mark it sent. Returns how many were published."""
        return await self._publish_all(await self._claim())

    async def _publish_all(self, documents: list[dict[str, Any]]) -> int:
        if not documents:
            return 0
        # The channel confirms each message on its own; waiting for all at once keeps the broker busy.
        await asyncio.gather(*(self._publish(d) for d in documents))
        sent = {"$set": {"sent_at": datetime.now(UTC)}, "$unset": {"lease_until": "", "lease_owner": ""}}
        # One write per document by _id in one round trip: the Mongo-wire dev server answers an ``$in`` of ids by
        # scanning the whole outbox, published documents kept for inspection included.
        await self.mongo.db[OUTBOX].bulk_write(
            [UpdateOne({"_id": d["_id"], "lease_owner": self.owner}, sent) for d in documents], ordered=False
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


async def measure_outbox(mongo: Mongo, service: str) -> None:
    """Set the backlog and the age of its oldest document (its ObjectId says when it was written)."""
    unsent = mongo.db[OUTBOX]
    OUTBOX_BACKLOG.labels(service=service).set(await unsent.count_documents({"sent_at": None}))
    oldest = await unsent.find_one({"sent_at": None}, {"_id": 1}, sort=[("_id", 1)])
    age = (datetime.now(UTC) - oldest["_id"].generation_time).total_seconds() if oldest else 0.0
    OUTBOX_OLDEST_AGE.labels(service=service).set(max(age, 0.0))
