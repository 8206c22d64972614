"""The leased poller: one loop for every kind of work that waits in a collection and is claimed under a lease
(the outbox relay, timers, the report worker, notify's dispatcher).

Several replicas may run the same loop: a document is worked on by the poller holding its lease, and a poller that
dies leaves leases that expire so that another takes over. Each loop brings its own work (publish, fire, build,
send); claiming, sleeping, waking, stopping and backing off are written here once.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection

log = structlog.get_logger("pilar.poller")

Sort = Sequence[tuple[str, int]]


def lease_free(now: datetime) -> dict[str, Any]:
    """Never leased (null or missing), released, or expired. Written without ``$or``, which the Mongo-wire dev
    server answers only by scanning the whole collection."""
    return {"lease_until": {"$not": {"$gte": now}}}


def _now() -> datetime:
    return datetime.now(UTC)


class LeasedPoller(ABC):
    """Runs ``poll_once`` until stopped: again at once while it finds more work, after ``poll_seconds`` when it
    found none (or sooner when woken), and after a growing wait when it fails (``poll_seconds`` doubled at each
    failure up to ``max_backoff_seconds``, back to ``poll_seconds`` after a success)."""

    #: the log event of a failed turn, e.g. "outbox.relay_failed"
    failure_event = "poller.failed"

    def __init__(
        self,
        *,
        owner_prefix: str,
        poll_seconds: float,
        lease_seconds: float,
        max_backoff_seconds: float = 30.0,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.poll_seconds = poll_seconds
        self.lease = timedelta(seconds=lease_seconds)
        self.max_backoff = max_backoff_seconds
        self.clock = clock
        self.owner = f"{owner_prefix}-{uuid.uuid4().hex[:8]}"
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()

    @abstractmethod
    async def poll_once(self) -> bool:
        """Claim and do one turn of work; True when more may be waiting right now (no sleep before the next)."""

    async def run(self) -> None:
        backoff = self.poll_seconds
        while not self._stopping.is_set():
            try:
                busy = await self.poll_once()
            except Exception as exc:  # Mongo or the broker away: the work waits in its collection, try again later
                log.warning(self.failure_event, error=str(exc), retry_in_s=backoff)
                await self._sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                continue
            backoff = self.poll_seconds
            if not busy:
                await self._sleep(self.poll_seconds)

    def wake(self) -> None:
        """Cut the current sleep short: new work was just committed."""
        self._wake.set()

    async def stop(self) -> None:
        """End ``run`` after the turn in progress."""
        self._stopping.set()
        self._wake.set()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        self._wake.clear()

    def _lease(self, now: datetime) -> dict[str, Any]:
        until = now + self.lease  # to the millisecond, as stored: a lease read back compares equal
        return {"lease_owner": self.owner, "lease_until": until.replace(microsecond=until.microsecond // 1000 * 1000)}

    async def claim_one(
        self,
        collection: AsyncCollection[dict[str, Any]],
        due: Mapping[str, Any],
        *,
        sort: Sort,
        inc: Mapping[str, int] | None = None,
    ) -> dict[str, Any] | None:
        """Take the lease of the first ``due`` document nobody holds; returns it as claimed, or None."""
        now = self.clock()
        update: dict[str, Any] = {"$set": self._lease(now)}
        if inc:
            update["$inc"] = dict(inc)
        return await collection.find_one_and_update(
            {**due, **lease_free(now)}, update, sort=list(sort), return_document=ReturnDocument.AFTER
        )

    async def claim_batch(
        self,
        collection: AsyncCollection[dict[str, Any]],
        due: Mapping[str, Any],
        *,
        sort: Sort,
        limit: int,
        inc: Mapping[str, int] | None = None,
        stamp: str | None = None,
    ) -> list[dict[str, Any]]:
        """Take the leases of up to ``limit`` ``due`` documents nobody holds (recording the moment in the field
        ``stamp``, if given); returns those this poller got."""
        now = self.clock()
        free = {**due, **lease_free(now)}
        candidates = [d["_id"] async for d in collection.find(free, {"_id": 1}).sort(list(sort)).limit(limit)]
        if not candidates:
            return []
        claim = self._lease(now)
        update: dict[str, Any] = {"$set": {**claim, stamp: now} if stamp else claim}
        if inc:
            update["$inc"] = dict(inc)
        # The filter repeats "free": a document another poller claimed in between is not taken twice.
        await collection.update_many({"_id": {"$in": candidates}, **free}, update)
        # Read back by id alone and the lease compared here: the Mongo-wire dev server scans the whole collection
        # for an `$in` with other conditions.
        found = collection.find({"_id": {"$in": candidates}}).sort(list(sort))
        return [d async for d in found if all(d.get(k) == v for k, v in claim.items())]
