"""Finished sends recorded in batches: one transaction (a bulk update of the deliveries and their outbox events)
per batch instead of one per delivery, the dispatcher's largest cost.

A batch is recorded once `size` sends wait or `linger` seconds after the first one finished, whichever comes first;
while one batch is being recorded the next gathers, so batches grow with the load and one transaction at a time is
open. A batch whose transaction fails (after PyMongo's own retries of transient errors) is recorded again one
delivery at a time, so one bad delivery cannot keep the others unrecorded — unless the database could not be
reached at all. A delivery that still cannot be recorded keeps its lease until it expires and is then sent again:
at least once, as when a replica dies between sending and recording (the receiver de-duplicates by
`X-Pilar-Delivery-Id` / the Message-ID).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable

import structlog
from pymongo.errors import ConnectionFailure

from services.notify.domain.deliveries import Attempt

log = structlog.get_logger("notify.recorder")

Record = Callable[[list[Attempt]], Awaitable[object]]


class AttemptRecorder:
    """`record` writes a batch in one transaction; it raises when the transaction failed."""

    def __init__(self, record: Record, *, size: int, linger: float) -> None:
        self.record = record
        self.size = size
        self.linger = linger
        self.waiting: list[Attempt] = []
        self.added = 0  # attempts added, and those recorded (or their failure logged), in the order they came
        self.done = 0
        self._progress = asyncio.Condition()
        self._one_at_a_time = asyncio.Lock()
        self._flushes: set[asyncio.Task[None]] = set()
        self._queued = False  # a flush waits for the lock; it takes every attempt waiting by then
        self._timer: asyncio.TimerHandle | None = None

    def add(self, attempt: Attempt) -> None:
        self.waiting.append(attempt)
        self.added += 1
        if len(self.waiting) >= self.size:
            self._queue_flush()
        elif self._timer is None and not self._queued:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(self.linger, self._queue_flush, context=contextvars.Context())

    async def drain(self) -> None:
        """Return once every attempt added so far is recorded (or its failure logged)."""
        await self.recorded(self.added)

    async def recorded(self, count: int) -> None:
        """Return once the first `count` attempts added are recorded (or their failure logged)."""
        if self.done < count and self.waiting:
            self._queue_flush()  # what is asked for need not wait for the linger
        async with self._progress:
            await self._progress.wait_for(lambda: self.done >= count)

    def _queue_flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._queued:
            return
        self._queued = True
        # A batch's own log context, not that of the delivery whose send happened to fill it.
        task = asyncio.create_task(self._flush(), context=contextvars.Context())
        self._flushes.add(task)
        task.add_done_callback(self._flushes.discard)

    async def _flush(self) -> None:
        async with self._one_at_a_time:
            self._queued = False
            batch, self.waiting = self.waiting, []
            if self._timer is not None:  # what it was set for is in this batch
                self._timer.cancel()
                self._timer = None
            if not batch:
                return
            try:
                failure = await self._record(batch)
                # One delivery may be what the batch failed on; an unreachable database fails each alone too.
                if failure is not None and len(batch) > 1 and not isinstance(failure, ConnectionFailure):
                    log.info("notify.recording_one_by_one", count=len(batch))
                    for attempt in batch:
                        await self._record([attempt])
            finally:
                self.done += len(batch)
                async with self._progress:
                    self._progress.notify_all()

    async def _record(self, batch: list[Attempt]) -> Exception | None:
        """Why the batch's transaction failed (logged; the leases' expiry brings its deliveries back), or None."""
        try:
            await self.record(batch)
        except Exception as exc:  # never raised to the sends
            log.exception("notify.record_failed", delivery_ids=[a.delivery["_id"] for a in batch])
            return exc
        return None
