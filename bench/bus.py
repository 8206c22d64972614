"""Bus benchmark: the services' consume path against a raw aio-pika consume+ack loop, same broker, same run.

The consume path is what every service runs per message before its own handler: envelope decode, schema
validation of envelope and payload, log-context binding, dispatch, ack — no database (DESIGN §10).

    python -m bench.bus [--messages 20000] [--prefetch 64]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from typing import Any

import aio_pika

from contracts.envelope import Envelope
from contracts.events.outreach import SessionScheduled
from pilar_dev.testing import DEFAULT_AMQP_URL, delete_namespace, new_namespace
from pilar_runtime.brokerusers import broker_user, producer_users
from pilar_runtime.bus import Bus, Topology
from pilar_runtime.consumer import EventConsumer, EventHandlers
from pilar_runtime.events import new_event
from pilar_runtime.logs import configure_logging
from pilar_runtime.settings import ServiceSettings


def _event(i: int) -> bytes:
    payload = SessionScheduled(
        session_id=f"ses_{i}",
        campaign_id="cmp_1",
        kind="penyuluhan",
        topic="Penumbuhan WKSBM",
        region_code="34.03.13.2004",
        venue="Balai Desa Kampung",
        starts_at="2019-08-08T02:00:00Z",
        ends_at="2019-08-08T05:00:00Z",
        officer_ids=["wrk_1", "wrk_2"],
        narasumber_ids=["wrk_3", "wrk_4", "wrk_5"],
        expected_participants=40,
    )
    event = new_event(
        "session_scheduled",
        payload,
        actor="bench",
        region_code="34.03.13.2004",
        aggregate_id=f"ses_{i}",
        aggregate_version=1,
    )
    return event.to_json()


async def _fill(connection: aio_pika.abc.AbstractConnection, queue_name: str, bodies: list[bytes], user: str) -> None:
    """Straight into the queue, as the producer's broker user (the consumer checks who published)."""
    channel = await connection.channel(publisher_confirms=False)
    for i, body in enumerate(bodies):
        await channel.default_exchange.publish(aio_pika.Message(body, user_id=user), routing_key=queue_name)
        if i % 1000 == 999:
            await asyncio.sleep(0)
    await channel.close()
    # Wait until the broker has every message in the queue before timing starts.
    check = await connection.channel()
    while ((await check.declare_queue(queue_name, passive=True)).declaration_result.message_count or 0) < len(bodies):
        await asyncio.sleep(0.05)
    await check.close()


async def raw_loop(url: str, namespace: str, bodies: list[bytes], prefetch: int, robust: bool = False) -> float:
    """messages/s of a bare aio-pika consumer that acks every message (first to last message).

    ``robust``: on a reconnecting connection, as the services use, instead of a plain one.
    """
    connection = await (aio_pika.connect_robust(url) if robust else aio_pika.connect(url))
    channel = await connection.channel()
    await channel.declare_queue(f"{namespace}.raw", durable=True, arguments={"x-queue-type": "quorum"})
    await _fill(connection, f"{namespace}.raw", bodies, broker_user(url))
    await channel.set_qos(prefetch_count=prefetch)
    queue = await channel.declare_queue(f"{namespace}.raw", passive=True)
    done = asyncio.Event()
    count = 0
    started = 0.0

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        nonlocal count, started
        if count == 0:
            started = time.perf_counter()
        await message.ack()
        count += 1
        if count == len(bodies):
            done.set()

    await queue.consume(on_message)
    await done.wait()
    elapsed = time.perf_counter() - started
    await channel.queue_delete(f"{namespace}.raw")
    await connection.close()
    return len(bodies) / elapsed


async def service_path(url: str, namespace: str, bodies: list[bytes], prefetch: int, batch_size: int) -> float:
    """messages/s through the runtime's Bus + EventConsumer with a handler that does nothing (first to last)."""
    seen = 0
    started = 0.0
    done = asyncio.Event()
    handlers = EventHandlers()

    @handlers.on("session_scheduled", transactional=False)
    async def noop(envelope: Envelope, payload: Any, uow: Any) -> None:
        nonlocal seen, started
        if seen == 0:
            started = time.perf_counter()
        seen += 1
        if seen == len(bodies):
            done.set()

    topo = Topology("reporting", namespace, patterns=())
    consumer = EventConsumer(
        "reporting",
        handlers,
        None,
        producer_users=producer_users(url, {}, "reporting"),
        delivery_limit=5,
        batch_size=batch_size,
    )
    # Declare the queue (no bindings needed: messages go straight to it), fill it, then start consuming.
    declare = Bus(url, topo, None)
    await declare.start()
    await declare.broker.declare_queue(topo.queue)
    connection = await aio_pika.connect(url)
    await _fill(connection, topo.queue.name, bodies, broker_user(url))
    await connection.close()
    await declare.stop()

    bus = Bus(url, Topology("reporting", namespace, patterns=("bench.none",)), consumer, prefetch=prefetch)
    await bus.start()
    await done.wait()
    elapsed = time.perf_counter() - started
    await bus.stop()
    return len(bodies) / elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20_000)
    defaults = ServiceSettings()
    parser.add_argument("--prefetch", type=int, default=defaults.prefetch)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size, help="the consumer's (1: each alone)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; the best of each side counts")
    args = parser.parse_args()
    configure_logging("bench", fmt="json", level="INFO")  # as the services run: INFO, JSON lines
    url = os.environ.get("AMQP_URL", DEFAULT_AMQP_URL)
    bodies = [_event(i) for i in range(args.messages)]
    rates: dict[str, list[float]] = {"raw": [], "robust": [], "service": []}

    async def raw(url: str, namespace: str, bodies: list[bytes], prefetch: int) -> float:
        return await raw_loop(url, namespace, bodies, prefetch)

    async def raw_robust(url: str, namespace: str, bodies: list[bytes], prefetch: int) -> float:
        return await raw_loop(url, namespace, bodies, prefetch, robust=True)

    async def service(url: str, namespace: str, bodies: list[bytes], prefetch: int) -> float:
        return await service_path(url, namespace, bodies, prefetch, args.batch_size)

    for _ in range(args.rounds):
        for name, measure in (("raw", raw), ("robust", raw_robust), ("service", service)):
            namespace = new_namespace("bench")
            try:
                rates[name].append(await measure(url, namespace, bodies, args.prefetch))
            finally:
                await delete_namespace(url, namespace)
    best = {name: max(values) for name, values in rates.items()}

    def line(label: str, name: str) -> str:
        rounds = ", ".join(f"{r:.0f}" for r in rates[name])
        return f"{label:<34}: {best[name]:10.0f} msg/s   (rounds: {rounds})"

    print(
        f"messages per round: {args.messages}, prefetch {args.prefetch}, "
        f"consumer batch size {args.batch_size}, rounds {args.rounds}"
    )
    print(line("raw aio-pika consume+ack", "raw"))
    print(line("raw aio-pika, robust connection", "robust"))
    print(line("service consume path", "service"))
    print(f"{'ratio service/raw':<34}: {best['service'] / best['raw']:10.2f}   (target >= 0.75)")
    print(f"{'ratio service/raw robust':<34}: {best['service'] / best['robust']:10.2f}")


if __name__ == "__main__":
    asyncio.run(main())
