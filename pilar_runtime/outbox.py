"""The outbox relay: publishes committed outbox documents with publisher confirms, then marks them sent.

Several relays may run (one per replica): each claims a batch under a lease, so a document is published by
one relay at a time; a relay that dies mid-batch leaves leases that expire and another relay takes over.
Delivery is at least once — consumers are idempotent through their inbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import structlog
from aio_pika.abc import AbstractExchange

from pilar_runtime.metrics import OUTBOX_BACKLOG
from pilar_runtime.mongo import OUTBOX, Mongo

log = structlog.get_logger("pilar.outbox")


class OutboxRelay:
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
        self.mongo = mongo
        self.exchange = exchange
        self.service = service
        self.user_id = user_id
        self.batch = batch
        self.poll_seconds = poll_seconds
        self.lease = timedelta(seconds=lease_seconds)
        self.max_backoff = max_backoff_seconds
        self.owner = f"{service}-{uuid.uuid4().hex[:8]}"
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        mongo.on_commit = self._wake.set

    async def run(self) -> None:
        backoff = 0.5
        while not self._stopping.is_set():
            try:
                published = await self.relay_once()
                backoff = 0.5
            except Exception as exc:  # broker or Mongo down: keep the documents, try again later
                log.warning("outbox.relay_failed", error=str(exc), retry_in_s=backoff)
                await self._sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                continue
            if published < self.batch:
                await self._sleep(self.poll_seconds)

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        self._wake.clear()

    async def relay_once(self) -> int:
        """Claim a batch, publish it with confirms, mark it sent. Returns how many were published."""
        documents = await self._claim()
        if not documents:
            await self._update_backlog()
            return 0
        await asyncio.gather(*(self._publish(d) for d in documents))
        await self.mongo.db[OUTBOX].update_many(
            {"_id": {"$in": [d["_id"] for d in documents]}, "lease_owner": self.owner},
            {"$set": {"sent_at": datetime.now(UTC)}, "$unset": {"lease_until": "", "lease_owner": ""}},
        )
        for d in documents:
            log.debug("outbox.published", event_id=d["event_id"], event_type=d["event_type"])
        await self._update_backlog()
        return len(documents)

    async def _claim(self) -> list[dict[str, Any]]:
        now = datetime.now(UTC)
        # Unleased (null) or lease expired; written without "$or", which the Mongo-wire dev server only answers
        # by scanning the whole outbox (sent events included) on every claim.
        free = {"sent_at": None, "lease_until": {"$not": {"$gte": now}}}
        outbox = self.mongo.db[OUTBOX]
        candidates = [d["_id"] async for d in outbox.find(free, {"_id": 1}).sort("_id", 1).limit(self.batch)]
        if not candidates:
            return []
        claim = {"lease_owner": self.owner, "lease_until": now + self.lease, "claimed_at": now}
        # The filter repeats "free": a document another relay claimed in between is not taken twice.
        await outbox.update_many({"_id": {"$in": candidates}, **free}, {"$set": claim, "$inc": {"attempts": 1}})
        return [d async for d in outbox.find({"_id": {"$in": candidates}, **claim}).sort("_id", 1)]

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
        )
        # The channel is in confirm mode: this returns once the broker has taken responsibility for it.
        await self.exchange.publish(message, routing_key=document["routing_key"], mandatory=False)

    async def _update_backlog(self) -> None:
        backlog = await self.mongo.db[OUTBOX].count_documents({"sent_at": None})
        OUTBOX_BACKLOG.labels(service=self.service).set(backlog)
