"""Operator access to the dead-letter queues: list, show, redrive, purge (DESIGN §4)."""

from __future__ import annotations

import aio_pika

from contracts import topology
from pilar_runtime.deadletters import (
    BROKER_HEADERS,
    CONSUMER_HEADERS,
    DeadLetter,
    DlqError,
    chosen,
    redriven_user_id,
    taken,
)

__all__ = ["DeadLetter", "DlqError", "chosen", "list_dead_letters", "purge", "redrive", "redriven_user_id"]


async def list_dead_letters(url: str, service: str, namespace: str = "", limit: int = 100) -> list[DeadLetter]:
    async with taken(url, topology.dead_letter_queue(service, namespace), limit) as found:
        return [letter for _, letter in found.letters]  # unacked: every message stays in the DLQ


async def purge(
    url: str, service: str, namespace: str = "", message_ids: set[str] | None = None, limit: int = 10_000
) -> int:
    """Drop dead letters for good (all, or those with the given message ids); returns how many."""
    async with taken(url, topology.dead_letter_queue(service, namespace), limit) as found:
        dropped = chosen([letter for _, letter in found.letters], message_ids)
        for message, letter in found.letters:
            if letter in dropped:
                await message.ack()
        return len(dropped)


async def _consumed_queue(connection: aio_pika.abc.AbstractConnection, service: str, namespace: str) -> str:
    """The service's queue, or its first partition's when it runs partitioned and nothing consumes the one queue
    (the replica holding partition 0 hands the letter to its consumer like any other)."""
    single = topology.service_queue(service, namespace)
    if (
        await _consumers(connection, single)
        or await _consumers(connection, topology.partition_queue(service, 0, namespace)) is None
    ):
        return single
    return topology.partition_queue(service, 0, namespace)


async def _consumers(connection: aio_pika.abc.AbstractConnection, queue: str) -> int | None:
    """A queue's consumers, None when there is no such queue."""
    channel = await connection.channel()  # a passive declare of a missing queue closes its channel
    try:
        found = await channel.declare_queue(queue, passive=True)
        return int(found.declaration_result.consumer_count or 0)
    except aio_pika.exceptions.ChannelNotFoundEntity:
        return None
    finally:
        if not channel.is_closed:
            await channel.close()


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
    async with taken(url, topology.dead_letter_queue(service, namespace), limit) as found:
        target = await _consumed_queue(found.connection, service, namespace)
        sending = chosen([letter for _, letter in found.letters], message_ids)
        publisher = await found.connection.channel(publisher_confirms=True)
        for message, letter in found.letters:
            if letter not in sending:
                continue
            headers = {k: v for k, v in letter.headers.items() if k not in (*CONSUMER_HEADERS, *BROKER_HEADERS)}
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
