"""The consumer wrapper: one queue per service, handlers dispatched by ``event_type``.

For each message it parses the envelope, binds the log context, runs the handler inside a unit of work with
the inbox record, and decides what happens to the message:

- handled, or a duplicate            → ack
- invalid (not JSON, schema, unknown) → dead-lettered at once, the reason in ``x-pilar-reason``, error logged
- forged (routing key, ``producer``, ``event_type`` and the broker-validated ``user_id`` disagree) → the same
- the handler failed                  → rejected and redelivered; at the delivery limit dead-lettered with the reason

With ``batch_size`` above 1 the deliveries waiting are handled together in one transaction (one inbox write,
one commit, the versions of the batch's copies read at once, and the handlers' write buffers and copies flushed
once); if that transaction fails, each is handled alone as above, so one bad message never holds back or
dead-letters the others.

The consumer itself never raises: bad input can't stop it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from opentelemetry.trace import SpanKind
from pydantic import ValidationError

from contracts.catalogue import EVENT_TYPES
from contracts.envelope import Envelope, EventPayload
from pilar_runtime.logs import bound_contextvars
from pilar_runtime.metrics import (
    MESSAGE_HANDLING_DURATION,
    MESSAGES_DEAD_LETTERED,
    MESSAGES_FAILED,
    MESSAGES_HANDLED,
    event_type_label,
)
from pilar_runtime.mongo import AlreadyHandled, Mongo, UnitOfWork, claim_inbox
from pilar_runtime.tracing import traced

log = structlog.get_logger("pilar.consumer")

REASON_HEADER = "x-pilar-reason"
ROUTING_KEY_HEADER = "x-pilar-routing-key"
QUEUE_HEADER = "x-pilar-queue"
# The user_id of a dead-lettered message: the DLQ copy is published by the consumer as itself (it can't set
# another user's user_id), so a redrive (by an operator allowed to impersonate) restores it from here.
USER_HEADER = "x-pilar-user-id"

Handler = Callable[[Envelope, Any, UnitOfWork], Awaitable[None]]
BatchPreparer = Callable[[list[Envelope], UnitOfWork], Awaitable[None]]


class InvalidMessage(Exception):
    """The message can never be handled: retrying it is pointless."""


class IncomingMessage(Protocol):
    """What the wrapper needs of a delivery (FastStream's RabbitMessage adapted in `bus`)."""

    body: bytes
    routing_key: str
    exchange: str  # "" when published straight into the queue (an operator's redrive)
    user_id: str | None  # validated by the broker: the publisher's own user

    @property
    def headers(self) -> Mapping[str, Any]: ...  # the AMQP headers (``traceparent`` among them)

    @property
    def delivery_count(self) -> int: ...

    async def ack(self) -> None: ...
    async def requeue(self) -> None: ...
    async def dead_letter(self, reason: str) -> None: ...


@dataclass(frozen=True)
class Route:
    handler: Handler
    model: type[EventPayload] | None  # None: the handler takes the raw payload dict (unknown types)
    idempotent: bool


class EventHandlers:
    """The table of what a service does with each event type it receives."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.fallback: Route | None = None
        self.preparer: BatchPreparer | None = None

    def on(self, *event_types: str, transactional: bool = True) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            for event_type in event_types:
                entry = EVENT_TYPES[event_type]
                self.routes[event_type] = Route(handler, entry.model, transactional)
            return handler

        return register

    def otherwise(self, handler: Handler) -> Handler:
        """Handle every event type without a route of its own, known or not (reporting stores them all)."""
        self.fallback = Route(handler, None, True)
        return handler

    def before_batch(self, preparer: BatchPreparer) -> BatchPreparer:
        """Called in each transaction with its new events before their handlers: a service reads at once what a
        batch's handlers will all read (one query where each handler would make its own)."""
        self.preparer = preparer
        return preparer


def parse(body: bytes) -> tuple[Envelope, EventPayload | None]:
    """Decode and validate; raises InvalidMessage with a reason a person can act on.

    Returns the envelope and its typed payload, or None for the payload when the type is not in the catalogue.
    """
    try:
        envelope = Envelope.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            raise InvalidMessage(f"not JSON: {first['msg']}") from exc
        if first["type"] == "model_type" and not first["loc"]:
            raise InvalidMessage("not a JSON object") from exc
        raise InvalidMessage(f"envelope schema violation: {_errors(exc)}") from exc
    entry = EVENT_TYPES.get(envelope.event_type)
    if entry is None:
        return envelope, None
    try:
        return envelope, entry.model.model_validate(envelope.payload)
    except ValidationError as exc:
        raise InvalidMessage(f"{envelope.event_type} payload schema violation: {_errors(exc)}") from exc


def provenance_problem(
    envelope: Envelope, *, routing_key: str | None, user_id: str | None, producer_users: Mapping[str, str]
) -> str | None:
    """Why this can't be the event its envelope claims, or None when it can.

    The envelope's ``producer`` must be the catalogue's producer of its ``event_type``, the routing key must be
    ``<producer>.<event_type>`` (None: published straight into the queue, where no routing key was chosen), and
    the AMQP ``user_id`` — which the broker guarantees is the publisher's own user — the producer's broker user.
    """
    entry = EVENT_TYPES.get(envelope.event_type)
    if entry is not None and entry.producer != envelope.producer:
        return f"forged: {envelope.event_type} is produced by {entry.producer}, not {envelope.producer}"
    if routing_key is not None and routing_key != envelope.routing_key:
        return f"forged: routing key {routing_key!r} disagrees with the envelope's {envelope.routing_key!r}"
    expected = producer_users.get(envelope.producer)
    if expected is None or user_id != expected:
        published_by = f"broker user {user_id!r}" if user_id else "no user_id"
        return f"forged: published with {published_by}, not {envelope.producer}'s broker user {expected!r}"
    return None


def _errors(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['msg']}" for e in exc.errors()[:5])


@dataclass
class Delivery:
    """A parsed message and the route that handles it."""

    message: IncomingMessage
    envelope: Envelope
    payload: Any
    route: Route

    @property
    def event_id(self) -> str:
        return str(self.envelope.event_id)

    def log_context(self) -> AbstractContextManager[None]:
        return bound_contextvars(
            correlation_id=self.envelope.correlation_id,
            event_id=self.event_id,
            event_type=self.envelope.event_type,
            region_code=self.envelope.region_code,
        )

    @contextmanager
    def handling(self) -> Iterator[None]:
        """The handler's span, continuing the producer's trace (``trace_id`` on its log lines and on the events it
        emits), inside the message's log context."""
        with (
            self.log_context(),
            traced(f"handle {self.envelope.event_type}", self.message.headers, kind=SpanKind.CONSUMER),
        ):
            yield


class EventConsumer:
    """Handles a service's deliveries.

    ``batch_size`` 1: every delivery is handled on its own, up to the prefetch concurrently (handlers that wait
    on I/O). Above 1: deliveries are handled one batch at a time, each batch in one transaction — the messages
    that arrived while the previous batch was being handled, at most ``batch_size``. When idle a message is
    handled alone at once; under load a transaction carries many events (projections writing shared documents).
    """

    def __init__(
        self,
        service: str,
        handlers: EventHandlers,
        mongo: Mongo | None,
        *,
        producer_users: Mapping[str, str],
        delivery_limit: int,
        batch_size: int = 1,
    ) -> None:
        self.service = service
        self.handlers = handlers
        self.producer_users = producer_users
        self.mongo = mongo
        self.delivery_limit = delivery_limit
        self.batch_size = batch_size
        self.in_flight = 0
        self._meters: dict[str, tuple[Any, Any]] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        self._waiting: list[tuple[IncomingMessage, asyncio.Future[None]]] = []
        self._drainer: asyncio.Task[None] | None = None

    def _meter(self, event_type: str) -> tuple[Any, Any]:
        """The (handled counter, latency histogram) children for a type, looked up once: this is the hot path."""
        meter = self._meters.get(event_type)
        if meter is None:
            meter = (
                MESSAGES_HANDLED.labels(self.service, event_type_label(event_type)),
                MESSAGE_HANDLING_DURATION.labels(self.service, event_type_label(event_type)),
            )
            self._meters[event_type] = meter
        return meter

    async def wait_idle(self) -> None:
        """Graceful shutdown: wait for the messages being handled now."""
        await self._idle.wait()

    async def consume(self, message: IncomingMessage) -> None:
        self.in_flight += 1
        self._idle.clear()
        try:
            if self.batch_size > 1:
                await self._join_batch(message)
            else:
                await self._consume(message)
        except Exception:  # a failure to settle (broker gone): the broker redelivers; never kill the consumer
            log.exception("consumer.settle_failed", routing_key=message.routing_key)
        finally:
            self.in_flight -= 1
            if self.in_flight == 0:
                self._idle.set()

    async def _join_batch(self, message: IncomingMessage) -> None:
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((message, done))
        if self._drainer is None:
            self._drainer = asyncio.create_task(self._drain())
        await done

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[: self.batch_size]
                del self._waiting[: self.batch_size]
                try:
                    await self._consume_batch([message for message, _ in batch])
                except Exception:  # settling failed: the broker redelivers, and the inbox absorbs repeats
                    log.exception("consumer.settle_failed", batch=len(batch))
                for _, done in batch:
                    if not done.done():  # cancelled when the service stops
                        done.set_result(None)
        finally:
            self._drainer = None

    async def _consume(self, message: IncomingMessage) -> None:
        delivery = await self._prepare(message)
        if delivery is not None:
            await self._handle(delivery)

    async def _consume_batch(self, messages: list[IncomingMessage]) -> None:
        together: list[Delivery] = []
        for message in messages:
            delivery = await self._prepare(message)
            if delivery is None:
                continue
            if delivery.route.idempotent and self.mongo is not None:
                together.append(delivery)
            else:
                await self._handle(delivery)
        if len(together) == 1:
            await self._handle(together[0])
        elif together:
            await self._handle_together(together)

    async def _prepare(self, message: IncomingMessage) -> Delivery | None:
        """Parse and route; None when the message was settled here (invalid, or of no use to this service)."""
        try:
            envelope, payload = parse(message.body)
        except InvalidMessage as exc:
            await self._reject(message, "unknown", str(exc))
            return None
        route = self.handlers.routes.get(envelope.event_type) or self.handlers.fallback
        if route is None:
            if payload is None:
                await self._reject(message, envelope.event_type, f"unknown event type {envelope.event_type!r}")
            else:  # a known event this service has no use for (wide binding): done
                self._meter(envelope.event_type)[0].inc()
                await message.ack()
            return None
        problem = provenance_problem(
            envelope,
            routing_key=message.routing_key if message.exchange else None,
            user_id=message.user_id,
            producer_users=self.producer_users,
        )
        if problem is not None:
            await self._reject(message, envelope.event_type, problem)
            return None
        return Delivery(message, envelope, payload if payload is not None else envelope.payload, route)

    async def _handle(self, delivery: Delivery) -> None:
        message, envelope = delivery.message, delivery.envelope
        with delivery.handling():
            handled, seconds = self._meter(envelope.event_type)
            started = time.perf_counter()
            try:
                await self._run(delivery)
            except AlreadyHandled:
                log.info("consumer.duplicate_skipped")
            except InvalidMessage as exc:
                return await self._reject(message, envelope.event_type, str(exc))
            except Exception as exc:
                return await self._retry_or_give_up(message, envelope.event_type, exc)
            seconds.observe(time.perf_counter() - started)
            handled.inc()
            await message.ack()

    async def _run(self, delivery: Delivery) -> None:
        route, envelope, payload = delivery.route, delivery.envelope, delivery.payload
        if not route.idempotent or self.mongo is None:
            await route.handler(envelope, payload, None)  # type: ignore[arg-type]
            return
        preparer = self.handlers.preparer

        async def work(uow: UnitOfWork) -> None:
            if preparer is not None:
                await preparer([envelope], uow)
            await route.handler(envelope, payload, uow)

        await self.mongo.transact(work, inbox=(self.service, delivery.event_id))

    async def _handle_together(self, deliveries: list[Delivery]) -> None:
        """One transaction for the batch; if it fails, each delivery alone, with its own retries and reason."""
        assert self.mongo is not None
        started = time.perf_counter()
        try:
            fresh = await self.mongo.transact(lambda uow: self._run_together(deliveries, uow))
        except Exception as exc:
            log.warning("consumer.batch_failed", size=len(deliveries), error=f"{type(exc).__name__}: {exc}")
            for delivery in deliveries:
                await self._handle(delivery)
            return
        share = (time.perf_counter() - started) / len(fresh) if fresh else 0.0
        for delivery in deliveries:
            with delivery.log_context():
                if delivery in fresh:
                    handled, seconds = self._meter(delivery.envelope.event_type)
                    seconds.observe(share)
                    handled.inc()
                else:
                    log.info("consumer.duplicate_skipped")
            await delivery.message.ack()

    async def _run_together(self, deliveries: list[Delivery], uow: UnitOfWork) -> list[Delivery]:
        """Handle the batch's new events in order; returns them (the rest were handled before, or are copies)."""
        new = await claim_inbox(uow, self.service, [d.event_id for d in deliveries])
        fresh: list[Delivery] = []
        for delivery in deliveries:
            if delivery.event_id in new:
                new.discard(delivery.event_id)  # a second copy in the same batch is a duplicate
                fresh.append(delivery)
        uow.aggregate_ids.update(d.envelope.aggregate_id for d in fresh)  # whose copies the handlers may keep
        if self.handlers.preparer is not None and fresh:
            await self.handlers.preparer([d.envelope for d in fresh], uow)
        for delivery in fresh:
            with delivery.handling():
                await delivery.route.handler(delivery.envelope, delivery.payload, uow)
        return fresh

    async def _reject(self, message: IncomingMessage, event_type: str, reason: str) -> None:
        MESSAGES_FAILED.labels(self.service, event_type_label(event_type), "rejected").inc()
        MESSAGES_DEAD_LETTERED.labels(self.service, event_type_label(event_type)).inc()
        log.error("consumer.rejected", reason=reason, routing_key=message.routing_key)
        await message.dead_letter(reason)

    async def _retry_or_give_up(self, message: IncomingMessage, event_type: str, exc: Exception) -> None:
        attempt = message.delivery_count + 1
        reason = f"handler failed on attempt {attempt} of {self.delivery_limit}: {type(exc).__name__}: {exc}"
        if attempt >= self.delivery_limit:
            MESSAGES_FAILED.labels(self.service, event_type_label(event_type), "dead_lettered").inc()
            MESSAGES_DEAD_LETTERED.labels(self.service, event_type_label(event_type)).inc()
            log.error("consumer.gave_up", reason=reason, exc_info=exc)
            return await message.dead_letter(reason)
        MESSAGES_FAILED.labels(self.service, event_type_label(event_type), "retried").inc()
        log.warning("consumer.retrying", reason=reason)
        # A short, growing pause so a failing dependency is not hammered by an instant redelivery loop.
        await asyncio.sleep(min(0.1 * 2**attempt, 5.0))
        await message.requeue()
