"""A service's own dead letters: read without losing them, and redriven in process (DESIGN §4).

Reading takes the messages from the DLQ without acking them; whatever is not acked goes back when the connection
closes. The DLQ is a quorum queue, which counts every return in ``x-delivery-count``; its delivery limit is one no
listing reaches, so a message listed any number of times stays.

A redrive hands each chosen letter to the service's own consumer as a live delivery — the same provenance check
(on the original broker-validated ``user_id`` and routing key, which the consumer's dead-letter copy keeps), inbox
de-duplication, handler and outbox — and acks it from the DLQ only once handled. Nothing is re-published under
another user's name, so no service needs the broker's impersonator permission. A letter that fails again, or that
the provenance check refuses, goes back to the DLQ with its new reason (an operator drops it with `pilar dlq purge`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from aio_pika.abc import AbstractConnection, AbstractIncomingMessage
from aiormq.exceptions import AMQPError, ChannelNotFoundEntity

from pilar_runtime.brokeraddresses import BrokerAddressError, connect_first, where
from pilar_runtime.consumer import QUEUE_HEADER, REASON_HEADER, ROUTING_KEY_HEADER, USER_HEADER

if TYPE_CHECKING:
    from pilar_runtime.bus import Bus
    from pilar_runtime.consumer import EventConsumer

# What the consumer adds to a dead letter: a redriven copy goes back without them.
CONSUMER_HEADERS = (REASON_HEADER, QUEUE_HEADER, ROUTING_KEY_HEADER, USER_HEADER)
BROKER_HEADERS = ("x-death", "x-delivery-count")


@dataclass
class DeadLetter:
    position: int
    message_id: str | None
    event_type: str | None
    routing_key: str | None
    reason: str
    headers: dict[str, Any]
    body: bytes
    dead_lettered_at: datetime | None = None
    delivery_count: int = 0  # how often the DLQ handed it out and took it back


class DlqError(RuntimeError):
    """The broker refused or did not answer; the message says what to check (never the URL's password)."""


def _reason(headers: Mapping[str, Any]) -> str:
    if REASON_HEADER in headers:
        return str(headers[REASON_HEADER])
    deaths = headers.get("x-death") or []
    if deaths:  # dead-lettered by the broker itself (delivery limit) rather than by the consumer
        return f"broker: {deaths[0].get('reason', 'unknown')}"
    return "unknown"


def _first_death(headers: Mapping[str, Any]) -> Mapping[str, Any]:
    deaths = headers.get("x-death") or []
    return deaths[0] if deaths and isinstance(deaths[0], Mapping) else {}


def letter_of(message: AbstractIncomingMessage, position: int) -> DeadLetter:
    headers = dict(message.headers or {})
    when = message.timestamp or _first_death(headers).get("time")
    count = headers.get("x-delivery-count", 0)
    return DeadLetter(
        position=position,
        message_id=message.message_id,
        event_type=message.type,
        routing_key=str(headers.get(ROUTING_KEY_HEADER) or message.routing_key or ""),
        reason=_reason(headers),
        headers=headers,
        body=message.body,
        dead_lettered_at=when if isinstance(when, datetime) else None,
        delivery_count=count if isinstance(count, int) else 0,
    )


@dataclass
class Taken:
    """Messages taken from a DLQ without acking, each with its reading; ``waiting`` counts the whole queue."""

    letters: list[tuple[AbstractIncomingMessage, DeadLetter]]
    waiting: int
    connection: AbstractConnection


@asynccontextmanager
async def taken(url: str, queue_name: str, limit: int) -> AsyncIterator[Taken]:
    """Up to ``limit`` messages taken without acking; whatever is not acked goes back before the connection closes
    (handed back on its channel first: left to the close, the broker put them back a moment later, and a listing
    right after this one could miss them)."""
    try:
        brokers = where(url)
    except BrokerAddressError as exc:
        raise DlqError(str(exc)) from None
    try:
        connection = await connect_first(url, timeout=5)
    except (OSError, TimeoutError, AMQPError) as exc:
        raise DlqError(f"the broker at {brokers} does not answer or refused the login ({type(exc).__name__})") from exc
    async with connection:
        try:
            channel = await connection.channel()
            queue = await channel.declare_queue(queue_name, passive=True)
        except ChannelNotFoundEntity:
            raise DlqError(
                f"no queue {queue_name!r} on {brokers}: has the service run there (check PILAR_NAMESPACE)?"
            ) from None
        except AMQPError as exc:
            raise DlqError(f"the broker at {brokers} refused {queue_name!r}: {exc}") from exc
        waiting = int(queue.declaration_result.message_count or 0)
        letters: list[tuple[AbstractIncomingMessage, DeadLetter]] = []
        while len(letters) < limit:
            message = await queue.get(no_ack=False, fail=False)
            if message is None:
                break
            letters.append((message, letter_of(message, len(letters) + 1)))
        try:
            yield Taken(letters, waiting, connection)
        finally:
            with contextlib.suppress(AMQPError, ConnectionError):  # a channel gone returns them by itself
                for message, _ in letters:
                    if not message.processed:
                        await message.nack(requeue=True)
                await channel.close()


def chosen(letters: list[DeadLetter], message_ids: set[str] | None) -> list[DeadLetter]:
    """The letters a redrive or purge acts on: all, or those with the given message ids."""
    return [letter for letter in letters if message_ids is None or letter.message_id in message_ids]


def redriven_user_id(letter_user_id: str | None, headers: Mapping[str, Any], consumer_user: str) -> str | None:
    """The user_id a dead letter goes back with: its producer's.

    A copy the service's consumer dead-lettered is published by the consumer as itself and names the producer's
    validated user in a header; the broker guarantees the copy's own user_id, so the header is believed only
    from the consumer's user (any service may write to the dead-letter exchange). Anything else keeps its own
    user_id: a message the broker dead-lettered kept its producer's; one someone else put there, theirs.
    """
    if letter_user_id == consumer_user and headers.get(USER_HEADER):
        return str(headers[USER_HEADER])
    return letter_user_id


def envelope_ids(body: bytes) -> dict[str, str | None]:
    """The envelope's identifiers, never its payload (personal data stays out of the operator's listing)."""
    try:
        envelope = json.loads(body)
    except ValueError:
        return {}
    if not isinstance(envelope, dict):
        return {}
    return {key: _text(envelope.get(key)) for key in ("event_id", "correlation_id", "producer")}


def _text(value: Any) -> str | None:
    return str(value)[:100] if isinstance(value, str | int) else None


Outcome = Literal["handled", "failed"]


class RedrivenLetter:
    """A dead letter as the consumer's IncomingMessage: the delivery it was, with one attempt left.

    Its routing key and ``user_id`` are the original's (kept by the consumer's dead-letter copy, believed only
    from that copy); its delivery count is the limit's last, so a failing handler sends it back to the DLQ with
    the new reason at once instead of retrying.
    """

    def __init__(self, message: AbstractIncomingMessage, letter: DeadLetter, bus: Bus, delivery_limit: int) -> None:
        self._message = message
        self._bus = bus
        self.outcome: Outcome | None = None
        self.body = message.body
        headers = letter.headers
        death = _first_death(headers)
        own_copy = message.user_id == bus.user  # the consumer's headers are believed from its own copies only
        if own_copy and ROUTING_KEY_HEADER in headers:
            self.routing_key = str(headers[ROUTING_KEY_HEADER])
            # The consumer's own queue as routing key: it came straight into the queue (a CLI redrive).
            came_through_exchange = self.routing_key not in bus.topology.queue_names
        elif death:  # dead-lettered by the broker, which records where the message came from
            keys = death.get("routing-keys") or [""]
            self.routing_key, came_through_exchange = str(keys[0]), bool(death.get("exchange"))
        else:  # put in the DLQ by someone else: it claims the DLQ's own routing key, which no event has
            self.routing_key, came_through_exchange = message.routing_key or "", True
        self.exchange = bus.topology.events.name if came_through_exchange else ""
        self.user_id = redriven_user_id(message.user_id, headers, bus.user)
        self._headers = {k: v for k, v in headers.items() if k not in (*CONSUMER_HEADERS, *BROKER_HEADERS)}
        self._delivery_count = max(delivery_limit - 1, 0)

    @property
    def headers(self) -> dict[str, Any]:
        return self._headers

    @property
    def delivery_count(self) -> int:
        return self._delivery_count

    async def ack(self) -> None:
        await self._message.ack()
        self.outcome = "handled"

    async def requeue(self) -> None:
        await self._message.reject(requeue=True)
        self.outcome = "failed"

    async def dead_letter(self, reason: str) -> None:
        """Back to the DLQ with the new reason (confirmed), then the old copy acked: never lost, never twice."""
        await self._bus.publish_dead_letter(
            self._message, self._headers, reason=reason, routing_key=self.routing_key, user_id=self.user_id
        )
        await self._message.ack()
        self.outcome = "failed"


@dataclass
class RedriveCounts:
    handled: int = 0
    failed: int = 0
    not_found: int = 0


async def redrive(
    url: str, bus: Bus, consumer: EventConsumer, message_ids: set[str] | None, limit: int
) -> RedriveCounts:
    """Run the chosen dead letters (all, or those named) through the consumer; count what became of them."""
    counts = RedriveCounts()
    async with taken(url, bus.topology.dlq.name, limit) as found:
        letters = [letter for _, letter in found.letters]
        sending = chosen(letters, message_ids)
        for message, letter in found.letters:
            if letter not in sending:
                continue
            delivery = RedrivenLetter(message, letter, bus, consumer.delivery_limit)
            await consumer.consume(delivery)
            if delivery.outcome == "handled":
                counts.handled += 1
            else:
                counts.failed += 1
        if message_ids is not None:
            counts.not_found = len(message_ids - {letter.message_id for letter in sending})
    return counts
