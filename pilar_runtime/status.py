"""GET /admin/status: what an operator checks first (`pilar status`), answered alike by every service.

The broker's own count of unacknowledged messages needs its management API; over AMQP a queue tells only how many
messages wait and how many consumers it has, so the service reports the messages it is handling itself
(``in_flight``) beside them. Each service may add a few figures of its own through ``StatusExtras``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import structlog
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from pilar_runtime.auth import CallerDep, Role
from pilar_runtime.errors import Forbidden
from pilar_runtime.mongo import Mongo
from pilar_runtime.outbox import outbox_backlog
from pilar_runtime.timers import TIMERS

if TYPE_CHECKING:
    from pilar_runtime.service import Runtime

log = structlog.get_logger("pilar.status")
Extras = dict[str, int | str | None]
# A service's own figures (notify's deliveries, the registry's imports, reporting's last replay).
StatusExtras = Callable[["Runtime"], Awaitable[Extras]]


class QueueStatus(BaseModel):
    name: str
    waiting: int = Field(description="messages ready in the service's queue")
    consumers: int
    in_flight: int = Field(description="messages this replica is handling now (not yet acknowledged)")
    dead_letters: int = Field(description="messages in the service's dead-letter queue")


class OutboxStatus(BaseModel):
    backlog: int = Field(description="events recorded but not yet published")
    oldest_age_seconds: float | None = Field(description="age of the oldest unpublished event")


class ServiceStatus(BaseModel):
    service: str
    ready: bool = Field(description="broker and MongoDB answer")
    broker: bool
    mongo: bool
    queue: QueueStatus | None = Field(description="absent for a service that consumes nothing or a broker away")
    outbox: OutboxStatus | None = Field(description="absent while MongoDB does not answer")
    pending_timers: int | None
    extras: Extras = Field(description="the service's own figures")


async def outbox_status(mongo: Mongo) -> OutboxStatus:
    backlog, age = await outbox_backlog(mongo)
    return OutboxStatus(backlog=backlog, oldest_age_seconds=age)


async def _queue_status(runtime: Runtime) -> QueueStatus | None:
    counts = await runtime.bus.queue_counts()
    if counts is None:
        return None
    waiting, consumers, dead = counts
    in_flight = runtime.consumer.in_flight if runtime.consumer else 0
    name = runtime.bus.topology.queue.name
    return QueueStatus(name=name, waiting=waiting, consumers=consumers, in_flight=in_flight, dead_letters=dead)


async def _or_none(work: Awaitable[Any]) -> Any:
    """A part that does not answer is reported as absent; the page itself still answers."""
    try:
        return await asyncio.wait_for(work, timeout=3)
    except Exception as exc:
        log.warning("status.part_unanswered", error=f"{type(exc).__name__}: {exc}")
        return None


async def service_status(runtime: Runtime, extras: StatusExtras | None) -> ServiceStatus:
    broker, mongo = await asyncio.gather(runtime.bus.ping(), runtime.mongo.ping())
    queue = await _or_none(_queue_status(runtime)) if broker else None
    outbox = await _or_none(outbox_status(runtime.mongo)) if mongo else None
    timers = await _or_none(runtime.mongo.db[TIMERS].count_documents({"status": "pending"})) if mongo else None
    own = (await _or_none(extras(runtime)) if extras and mongo else None) or {}
    return ServiceStatus(
        service=runtime.settings.service,
        ready=broker and mongo,
        broker=broker,
        mongo=mongo,
        queue=queue,
        outbox=outbox,
        pending_timers=timers,
        extras=own,
    )


def status_router(extras: StatusExtras | None) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/admin/status", summary="Health, queue, outbox and timers of this service (admins only)")
    async def status(request: Request, caller: CallerDep) -> ServiceStatus:
        if caller.role != Role.ADMIN:
            raise Forbidden("only an admin may read the service's status")
        return await service_status(request.app.state.runtime, extras)

    return router
