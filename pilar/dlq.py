"""Operator access to the dead-letter queues: list, show, redrive (DESIGN §4)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aio_pika

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


async def _drain(url: str, queue_name: str, limit: int) -> tuple[Any, list[tuple[Any, DeadLetter]]]:
    """Take up to ``limit`` messages without acking; closing the channel puts them all back."""
    connection = await aio_pika.connect(url)
    channel = await connection.channel()
    queue = await channel.declare_queue(queue_name, passive=True)
    taken: list[tuple[Any, DeadLetter]] = []
    while len(taken) < limit:
        message = await queue.get(no_ack=False, fail=False)
        if message is None:
            break
        headers = dict(message.headers or {})
        taken.append(
            (
                message,
                DeadLetter(
                    position=len(taken) + 1,
                    message_id=message.message_id,
                    event_type=message.type,
                    routing_key=str(headers.get(ROUTING_KEY_HEADER) or message.routing_key or ""),
                    reason=_reason(headers),
                    headers=headers,
                    body=message.body,
                ),
            )
        )
    return connection, taken


async def list_dead_letters(url: str, service: str, namespace: str = "", limit: int = 100) -> list[DeadLetter]:
    connection, taken = await _drain(url, topology.dead_letter_queue(service, namespace), limit)
    await connection.close()  # unacked: every message stays in the DLQ
    return [letter for _, letter in taken]


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
    connection, taken = await _drain(url, topology.dead_letter_queue(service, namespace), limit)
    target = topology.service_queue(service, namespace)
    sent = 0
    async with connection:
        publisher = await connection.channel(publisher_confirms=True)
        for message, letter in taken:
            if message_ids is not None and letter.message_id not in message_ids:
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
            sent += 1
    return sent
