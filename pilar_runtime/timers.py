"""Timers stored in Mongo (``due_at``) and fired by a leased poller (DESIGN §4: Time).

A timer survives restarts because it is a document; it fires once even with several pollers because a poller
must first take its lease, and the handler's effect and the timer's ``fired`` mark commit in one transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import structlog
from opentelemetry.trace import SpanKind

from pilar_runtime.logs import bound_contextvars
from pilar_runtime.metrics import TIMERS_DUE, TIMERS_FIRED
from pilar_runtime.mongo import Mongo, UnitOfWork
from pilar_runtime.poller import LeasedPoller
from pilar_runtime.tracing import traced

TIMERS = "timers"
log = structlog.get_logger("pilar.timers")

TimerHandler = Callable[[dict[str, Any], UnitOfWork], Awaitable[None]]


async def schedule_timer(uow: UnitOfWork, kind: str, key: str, due_at: datetime, data: dict[str, Any]) -> None:
    """Create or move the timer (kind, key), inside the caller's transaction."""
    await uow.db[TIMERS].update_one(
        {"kind": kind, "key": key},
        {
            "$set": {"due_at": due_at, "data": data, "status": "pending", "lease_until": None},
            "$setOnInsert": {"created_at": datetime.now(UTC)},
        },
        upsert=True,
        session=uow.session,
    )


async def cancel_timer(uow: UnitOfWork, kind: str, key: str) -> None:
    await uow.db[TIMERS].update_one(
        {"kind": kind, "key": key, "status": "pending"},
        {"$set": {"status": "cancelled"}},
        session=uow.session,
    )


async def ensure_timer_indexes(mongo: Mongo) -> None:
    await mongo.db[TIMERS].create_index([("kind", 1), ("key", 1)], unique=True)
    await mongo.db[TIMERS].create_index([("status", 1), ("due_at", 1)])


async def measure_timers(mongo: Mongo, service: str) -> None:
    """Set how many pending timers are due now: a number that keeps growing means timers are not firing."""
    due = await mongo.db[TIMERS].count_documents({"status": "pending", "due_at": {"$lte": datetime.now(UTC)}})
    TIMERS_DUE.labels(service=service).set(due)


class TimerPoller(LeasedPoller):
    failure_event = "timers.poll_failed"

    def __init__(
        self,
        mongo: Mongo,
        handlers: dict[str, TimerHandler],
        *,
        service: str,
        poll_seconds: float = 1.0,
        lease_seconds: float = 30.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(owner_prefix=service, poll_seconds=poll_seconds, lease_seconds=lease_seconds, clock=clock)
        self.mongo = mongo
        self.handlers = handlers
        self.service = service

    async def poll_once(self) -> bool:
        return await self.fire_due() > 0

    async def fire_due(self, limit: int = 100) -> int:
        """Fire up to ``limit`` due timers; returns how many this poller fired."""
        fired = 0
        for _ in range(limit):
            timer = await self._claim()
            if timer is None:
                break
            if not await self._fire(timer):
                break  # a failing handler waits for its lease to expire, not for the next loop turn
            fired += 1
        return fired

    async def _claim(self) -> dict[str, Any] | None:
        due = {"status": "pending", "kind": {"$in": list(self.handlers)}, "due_at": {"$lte": self.clock()}}
        return await self.claim_one(self.mongo.db[TIMERS], due, sort=[("due_at", 1)])

    async def _fire(self, timer: dict[str, Any]) -> bool:
        """True when this poller fired the timer; False when it failed or another poller had it."""
        handler = self.handlers[timer["kind"]]

        async def work(uow: UnitOfWork) -> bool:
            # Only the lease holder may fire it, and only once: the mark commits with the effect.
            marked = await uow.db[TIMERS].update_one(
                {"_id": timer["_id"], "lease_owner": self.owner, "status": "pending"},
                {"$set": {"status": "fired", "fired_at": self.clock()}},
                session=uow.session,
            )
            if marked.modified_count == 0:
                return False
            await handler(timer.get("data", {}), uow)
            return True

        # A trace of its own: the events the handler emits, and what they cause downstream, share it.
        with (
            bound_contextvars(timer_kind=timer["kind"], timer_key=timer["key"]),
            traced(f"timer {timer['kind']}", {}, kind=SpanKind.INTERNAL),
        ):
            try:
                done = await self.mongo.transact(work)
            except Exception:
                # The lease expires and a poller tries again; the failure is visible in the log.
                log.exception("timers.handler_failed")
                return False
            if done:
                TIMERS_FIRED.labels(self.service, timer["kind"]).inc()
                log.info("timers.fired")
            return done
