"""`pilar backfill registry`: the registry's reference of outreach's campaigns and sessions, filled from reporting's
event store.

The registry checks what a formation cites against the campaigns and sessions it has seen on the bus. A registry
that began consuming them after they were planned (an upgrade) has not seen them, and formations citing them would
answer 422 "not known yet". Reporting keeps every event: the ones the registry subscribes to are read from
`GET /events?type=a,b,…` in one pass and put straight into the registry's queue, as `pilar dlq redrive` does, with
outreach's broker user (the consumer checks it; with one broker user per service the operator's user needs the
`impersonator` tag). The registry's inbox drops events it already had, and its reference keeps the newest version
of each record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aio_pika
import httpx

from contracts import topology
from contracts.envelope import Envelope
from pilar_runtime.brokeraddresses import connect_first

# What reporting adds to a stored event; the rest is the envelope as published.
_STORE_FIELDS = ("seq", "received_at", "routing_key")


def reference_event_types() -> list[str]:
    """The event types the registry subscribes to (exact routing keys, no wildcards)."""
    return [pattern.split(".", 1)[1] for pattern in topology.SUBSCRIPTIONS["registry"]]


async def backfill_registry(
    reporting: httpx.AsyncClient,
    amqp_url: str,
    producer_user: str,
    namespace: str = "",
    progress: Callable[[str, int], None] = lambda _type, _sent: None,
) -> int:
    """Replays the stored events the registry subscribes to into its queue; returns how many were sent.

    ``reporting`` is an admin's client for reporting's API; ``producer_user`` is outreach's broker user."""
    target = topology.service_queue("registry", namespace)
    sent = 0
    connection = await connect_first(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await channel.declare_queue(target, passive=True)  # the registry has started once: its queue exists
        # One pass over the store for every type at once: each event is read once, in arrival order.
        params: dict[str, Any] = {"type": ",".join(reference_event_types()), "limit": 1000, "after": 0}
        while True:
            answer = await reporting.get("/events", params=params)
            answer.raise_for_status()
            page: dict[str, Any] = answer.json()
            if not page["items"]:
                break
            for item in page["items"]:
                envelope = Envelope.model_validate({k: v for k, v in item.items() if k not in _STORE_FIELDS})
                message = aio_pika.Message(
                    envelope.to_json(),
                    content_type="application/json",
                    message_id=str(envelope.event_id),
                    type=envelope.event_type,
                    correlation_id=envelope.correlation_id,
                    user_id=producer_user,
                    headers={"x-pilar-backfill": True},
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                )
                await channel.default_exchange.publish(message, routing_key=target)
                sent += 1
                progress(envelope.event_type, sent)
            params["after"] = int(page["next"])
    return sent
