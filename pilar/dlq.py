"""Operator access to the dead-letter queues: list, show, redrive, purge (DESIGN §4)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import aio_pika
from aiormq.exceptions import AMQPError, ChannelNotFoundEntity

from contracts import topology
from pilar_runtime.consumer import QUEUE_HEADER, REASON_HEADER, ROUTING_KEY_HEADER, USER_HEADER

# What the consumer adds to a dead letter: a redriven copy goes back without them.
CONSUMER_HEADERS = (REASON_HEADER, QUEUE_HEADER, ROUTING_KEY_HEADER, USER_HEADER)


@dataclass
class DeadLetter:
    position: int
    message_id: str | None
    event_type: str | None
    routing_key: str | None
    reason: str
    headers: dict[str, Any]
    body: bytes


def _reason(headers: dict[str, Any]) -> str:
    if REASON_HEADER in headers:
        return str(headers[REASON_HEADER])
    deaths = headers.get("x-death") or []
    if deaths:  # dead-lettered by the broker itself (delivery limit) rather than by the consumer
        return f"broker: {deaths[0].get('reason', 'unknown')}"
    return "unknown"


class DlqError(RuntimeError):
    """The broker refused or did not answer; the message says what to check (never the URL's password)."""


@asynccontextmanager
async def _taken(url: str, queue_name: str, limit: int) -> AsyncIterator[tuple[Any, list[tuple[Any, DeadLetter]]]]:
    """Up to ``limit`` messages taken without acking; whatever is not acked goes back when the connection closes.

    The DLQ is a quorum queue, which counts every return in ``x-delivery-count``; it has no delivery limit, so
    a message listed any number of times stays, and a redrive sends it back without that count.
    """
    where = f"{urlparse(url).hostname}:{urlparse(url).port or 5672}"
    try:
        connection = await aio_pika.connect(url, timeout=5)
    except (OSError, TimeoutError, AMQPError) as exc:
        raise DlqError(f"the broker at {where} does not answer or refused the login ({type(exc).__name__})") from exc
    async with connection:
        try:
            channel = await connection.channel()
            queue = await channel.declare_queue(queue_name, passive=True)
        except ChannelNotFoundEntity:
            raise DlqError(
                f"no queue {queue_name!r} on {where}: has the service run there (check PILAR_NAMESPACE)?"
            ) from None
        except AMQPError as exc:
            raise DlqError(f"the broker at {where} refused {queue_name!r}: {exc}") from exc
        taken: list[tuple[Any, DeadLetter]] = []
        while len(taken) < limit:
            message = await queue.get(no_ack=False, fail=False)
            if message is None:
                break
            taken.append((message, _letter(message, len(taken) + 1)))
        yield connection, taken


def _letter(message: Any, position: int) -> DeadLetter:
    headers = dict(message.headers or {})
    return DeadLetter(
        position=position,
        message_id=message.message_id,
        event_type=message.type,
        routing_key=str(headers.get(ROUTING_KEY_HEADER) or message.routing_key or ""),
        reason=_reason(headers),
        headers=headers,
        body=message.body,
    )


def chosen(letters: list[DeadLetter], message_ids: set[str] | None) -> list[DeadLetter]:
    """The letters a redrive or purge acts on: all, or those with the given message ids."""
    return [letter for letter in letters if message_ids is None or letter.message_id in message_ids]


async def list_dead_letters(url: str, service: str, namespace: str = "", limit: int = 100) -> list[DeadLetter]:
    async with _taken(url, topology.dead_letter_queue(service, namespace), limit) as (_, taken):
        return [letter for _, letter in taken]  # unacked: every message stays in the DLQ


async def purge(
    url: str, service: str, namespace: str = "", message_ids: set[str] | None = None, limit: int = 10_000
) -> int:
    """Drop dead letters for good (all, or those with the given message ids); returns how many."""
    async with _taken(url, topology.dead_letter_queue(service, namespace), limit) as (_, taken):
        dropped = chosen([letter for _, letter in taken], message_ids)
        for message, letter in taken:
            if letter in dropped:
                await message.ack()
        return len(dropped)


def redriven_user_id(letter_user_id: str | None, headers: dict[str, Any], consumer_user: str) -> str | None:
    """The user_id a dead letter goes back with: its producer's.

    A copy the service's consumer dead-lettered is published by the consumer as itself and names the producer's
    validated user in a header; the broker guarantees the copy's own user_id, so the header is believed only
    from the consumer's user (any service may write to the dead-letter exchange). Anything else keeps its own
    user_id: a message the broker dead-lettered kept its producer's; one someone else put there, theirs.
    """
    if letter_user_id == consumer_user and headers.get(USER_HEADER):
        return str(headers[USER_HEADER])
    return letter_user_id


async def redrive(
    url: str,
    service: str,
    namespace: str = "",
    message_ids: set[str] | None = None,
    limit: int = 10_000,
    *,
    consumer_user: str,
) -> int:
    """Send dead letters back to the service's own queue (not the exchange: other services already had them).

    The copy is published with confirms before the dead letter is acked, so a crash in between at worst
    leaves a duplicate, which the service's inbox absorbs. It keeps its producer's ``user_id``, which consumers
    require: with one broker user per service the operator's user needs RabbitMQ's ``impersonator`` tag.
    ``consumer_user`` is the broker user the service's consumer runs as.
    """
    async with _taken(url, topology.dead_letter_queue(service, namespace), limit) as (connection, taken):
        target = topology.service_queue(service, namespace)
        sending = chosen([letter for _, letter in taken], message_ids)
        publisher = await connection.channel(publisher_confirms=True)
        for message, letter in taken:
            if letter not in sending:
                continue
            headers = {
                k: v for k, v in letter.headers.items() if k not in (*CONSUMER_HEADERS, "x-death", "x-delivery-count")
            }
            headers["x-pilar-redriven"] = True
            await publisher.default_exchange.publish(
                aio_pika.Message(
                    letter.body,
                    headers=headers,
                    message_id=letter.message_id,
                    type=letter.event_type,
                    content_type=message.content_type,
                    correlation_id=message.correlation_id,
                    user_id=redriven_user_id(message.user_id, letter.headers, consumer_user),
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=target,
            )
            await message.ack()
        return len(sending)
