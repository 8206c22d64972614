"""The outbox relay: publishes the events of committed outbox documents (one or more per commit) with publisher
confirms, then marks the documents sent.

Several relays may run (one per replica): each claims a batch under a lease, so a document is published by
one relay at a time; a relay that dies mid-batch leaves leases that expire and another relay takes over.
Delivery is at least once — consumers are idempotent through their inbox.

The events committed by the relay's own process reach it without a query: their documents are written already
leased to it and handed over on commit (``Mongo.hand_outbox_to``), which saves the query for unsent documents and
the write claiming them for each batch (and the dev server's query reads every unsent document). The queries
remain for everything else: other processes' events, leases that ran out, a hand-over refused because too much
is waiting.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import aio_pika
import structlog
from aio_pika.abc import AbstractExchange
from aio_pika.exceptions import DeliveryError

from contracts.topology import SHARD_HEADER
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
        renew_channel: Callable[[], Awaitable[None]] | None = None,
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
        self.renew_channel = renew_channel
        self._handed_over: deque[dict[str, Any]] = deque()
        self._waiting = 0  # events in the documents handed over

    def hand_over_lease(self) -> dict[str, Any] | None:
        """The lease of documents a commit of this process hands over (see ``Mongo.hand_outbox_to``)."""
        if self._stopping.is_set() or self._waiting >= MAX_HANDED_OVER:
            return None
        now = self.clock()
        return {**self._lease(now), "attempts": 1, "claimed_at": now}

    def take(self, documents: list[dict[str, Any]]) -> None:
        self._handed_over.extend(documents)
        self._waiting += sum(len(events_of(d)) for d in documents)
        self.wake()

    async def poll_once(self) -> bool:
        if self._handed_over:
            await self.relay_handed_over()
            # Once all is out, the outbox is queried at the next poll, not at once: while commits keep handing
            # events over, a query after each would cost more than it finds.
            return bool(self._handed_over)
        documents = await self._claim()
        await self._publish_all(documents)
        return len(documents) >= self.batch

    async def relay_handed_over(self) -> int:
        """Publish about a batch of the events commits handed over, oldest first; returns how many. Documents whose
        lease ran out meanwhile are left to whichever relay claims them; a batch that fails stays first in line."""
        now = self.clock()
        documents: list[dict[str, Any]] = []
        events = 0
        while self._handed_over and events < self.batch:
            document = self._handed_over.popleft()
            self._waiting -= len(events_of(document))
            if document["lease_until"] > now:
                documents.append(document)
                events += len(events_of(document))
        try:
            return await self._publish_all(documents)
        except BaseException:
            self._handed_over.extendleft(reversed(documents))
            self._waiting += events
            raise

    async def relay_once(self) -> int:
        """Claim a batch of documents, publish their events with confirms, mark them sent; returns how many events."""
        return await self._publish_all(await self._claim())

    async def _publish_all(self, documents: list[dict[str, Any]]) -> int:
        if not documents:
            return 0
        messages = [(event, document.get("trace")) for document in documents for event in events_of(document)]
        # The channel confirms each message on its own: waiting for a batch of them at once keeps the broker busy.
        try:
            for start in range(0, len(messages), self.batch):
                await asyncio.gather(*(self._publish(*message) for message in messages[start : start + self.batch]))
        except DeliveryError:
            # The broker refused them on this channel: the next try goes out on a fresh one (Bus.renew_publishing).
            if self.renew_channel is not None:
                await self.renew_channel()
            raise
        await self.mongo.db[OUTBOX].update_many(
            {"_id": {"$in": [d["_id"] for d in documents]}, "lease_owner": self.owner},
            {"$set": {"sent_at": datetime.now(UTC)}, "$unset": {"lease_until": "", "lease_owner": ""}},
        )
        for event, _ in messages:
            log.debug("outbox.published", event_id=event["event_id"], event_type=event["event_type"])
        return len(messages)

    async def _claim(self) -> list[dict[str, Any]]:
        return await self.claim_batch(
            self.mongo.db[OUTBOX],
            {"sent_at": None},
            sort=[("_id", 1)],
            limit=self.batch,
            inc={"attempts": 1},
            stamp="claimed_at",
        )

    async def _publish(self, event: dict[str, Any], trace: dict[str, Any] | None) -> None:
        message = aio_pika.Message(
            body=event["body"],
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=event["event_id"],
            type=event["event_type"],
            correlation_id=event["correlation_id"],
            app_id=self.service,
            # The connection's own broker user: the broker vouches for it, consumers check it is the producer's.
            user_id=self.user_id,
            # The trace context of the request or handler that wrote the event: the consumer continues it; and the
            # event's shard, which partitions a consumer's queue (events written before it had one go to partition 0).
            headers={**(trace or {}), SHARD_HEADER: str(event["shard"])} if "shard" in event else trace or None,
        )
        # The channel is in confirm mode: this returns once the broker has taken responsibility for it.
        await self.exchange.publish(message, routing_key=event["routing_key"], mandatory=False)


def events_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    """An outbox document's events; one written before a commit's events shared a document is a single event."""
    events: list[dict[str, Any]] = document.get("events") or [document]
    return events


async def unsent_events(mongo: Mongo) -> int:
    """Events written and not yet published (the outbox's backlog)."""
    counted = mongo.db[OUTBOX].aggregate(
        [
            {"$match": {"sent_at": None}},
            {"$group": {"_id": None, "events": {"$sum": {"$size": {"$ifNull": ["$events", [None]]}}}}},
        ]
    )
    return sum([group["events"] async for group in await counted])


async def outbox_backlog(mongo: Mongo) -> tuple[int, float | None]:
    """Events recorded but not yet published, and the age in seconds of the oldest (its ObjectId says when it was
    written; None when nothing waits)."""
    unsent = mongo.db[OUTBOX]
    backlog = await unsent_events(mongo)
    oldest = await unsent.find_one({"sent_at": None}, {"_id": 1}, sort=[("_id", 1)])
    if oldest is None or not hasattr(oldest["_id"], "generation_time"):
        return backlog, None
    return backlog, max(0.0, (datetime.now(UTC) - oldest["_id"].generation_time).total_seconds())


async def measure_outbox(mongo: Mongo, service: str) -> None:
    backlog, age = await outbox_backlog(mongo)
    OUTBOX_BACKLOG.labels(service=service).set(backlog)
    OUTBOX_OLDEST_AGE.labels(service=service).set(age or 0.0)
