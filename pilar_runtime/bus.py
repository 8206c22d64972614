"""The broker connection (FastStream over aio-pika) and Pilar's topology.

Topology (DESIGN §3), every name optionally namespaced:
- topic exchange ``pilar.events``; routing key ``<producer>.<event_type>``;
- per consuming service one durable quorum queue ``<service>.events`` bound with the service's patterns,
  ``x-delivery-limit`` set and dead-lettering to the direct exchange ``pilar.dlx`` → ``<service>.dlq``;
- the DLQ a quorum queue too, with a delivery limit no listing reaches (RabbitMQ 4's default of 20 would drop
  dead letters an operator looked at 20 times).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast

import aio_pika
import structlog
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustChannel, AbstractRobustExchange, AbstractRobustQueue
from aio_pika.exceptions import ChannelPreconditionFailed
from aiormq.abc import AbstractChannel
from faststream.rabbit import Channel, ExchangeType, QueueType, RabbitExchange, RabbitQueue
from faststream.rabbit.schemas.queue import QuorumQueueArgs

from contracts import topology
from pilar_runtime.brokeraddresses import failover_broker
from pilar_runtime.brokerusers import broker_user
from pilar_runtime.consumer import QUEUE_HEADER, REASON_HEADER, ROUTING_KEY_HEADER, USER_HEADER, EventConsumer

log = structlog.get_logger("pilar.bus")


class Topology:
    """The names one service uses, with the namespace applied."""

    def __init__(
        self,
        service: str,
        namespace: str = "",
        *,
        delivery_limit: int = 5,
        patterns: Sequence[str] | None = None,
        partitions: int = 1,
    ) -> None:
        self.service = service
        self._patterns = patterns
        self.namespace = namespace
        self.delivery_limit = delivery_limit
        self.partitions = partitions
        self.events = RabbitExchange(
            topology.namespaced(topology.EVENTS_EXCHANGE, namespace), type=ExchangeType.TOPIC, durable=True
        )
        self.dlx = RabbitExchange(
            topology.namespaced(topology.DEAD_LETTER_EXCHANGE, namespace),
            type=ExchangeType.DIRECT,
            durable=True,
        )
        self.dead_letter_key = topology.namespaced(service, namespace)
        arguments: QuorumQueueArgs = {
            "x-delivery-limit": delivery_limit,
            "x-dead-letter-exchange": self.dlx.name,
            "x-dead-letter-routing-key": self.dead_letter_key,
            # Dead-letter with confirms inside the broker, so a message is never dropped on the way.
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        }
        self.queue = RabbitQueue(
            topology.service_queue(service, namespace), queue_type=QueueType.QUORUM, durable=True, arguments=arguments
        )
        # Partitions (see contracts.topology): the events come through a headers exchange of the service's own, by
        # their shard header, into one queue per partition; an event without the header goes to partition 0.
        self.partition_exchange = RabbitExchange(
            topology.partition_exchange(service, namespace),
            type=ExchangeType.HEADERS,
            durable=True,
            arguments={"alternate-exchange": topology.unsharded_exchange(service, namespace)},
        )
        self.unsharded = RabbitExchange(
            topology.unsharded_exchange(service, namespace), type=ExchangeType.FANOUT, durable=True
        )
        self.dlq = RabbitQueue(
            topology.dead_letter_queue(service, namespace),
            queue_type=QueueType.QUORUM,
            durable=True,
            routing_key=self.dead_letter_key,
            arguments={"x-delivery-limit": topology.DEAD_LETTER_DELIVERY_LIMIT},
        )
        self._arguments = arguments
        self.partition_queues = [self.partition_queue(p) for p in range(partitions if partitions > 1 else 0)]

    def partition_queue(self, partition: int) -> RabbitQueue:
        return RabbitQueue(
            topology.partition_queue(self.service, partition, self.namespace),
            queue_type=QueueType.QUORUM,
            durable=True,
            # One consumer at a time, whatever the leases say during a hand-over: a partition stays in order.
            arguments={**self._arguments, "x-single-active-consumer": True},
        )

    def retired_queues(self) -> list[RabbitQueue]:
        """Queues the service may have had with another number of partitions and no longer uses: partitioned, its
        one queue of before and partitions beyond the number now (it was lowered); with one queue, every partition."""
        if not self.partition_queues:
            return [self.partition_queue(p) for p in range(topology.SHARDS)]
        return [self.queue, *(self.partition_queue(p) for p in range(self.partitions, topology.SHARDS))]

    @property
    def queue_names(self) -> set[str]:
        """The queues the service consumes from (the one queue, or its partitions')."""
        return {self.queue.name, *(queue.name for queue in self.partition_queues)}

    @property
    def patterns(self) -> Sequence[str]:
        return self._patterns if self._patterns is not None else topology.SUBSCRIPTIONS.get(self.service, ())


class AckBatcher:
    """Acks settled deliveries with one ``basic.ack(multiple=True)`` per event-loop turn.

    Handlers finish out of order, so the ack only ever reaches up to the highest settled delivery below the
    lowest one still in flight: a message being handled is never acknowledged by another's ack. Delivery tags
    belong to a channel, so the state is kept per channel (a reconnect brings a new one).
    """

    def __init__(self) -> None:
        self._channels: dict[int, _ChannelAcks] = {}

    def received(self, message: AbstractIncomingMessage) -> None:
        self._state(message).unsettled[message.delivery_tag or 0] = message

    def acked(self, message: AbstractIncomingMessage) -> None:
        state = self._state(message)
        tag = message.delivery_tag or 0
        state.unsettled.pop(tag, None)
        heapq.heappush(state.acked, (tag, id(message), message))
        self._release(state)

    def settled_otherwise(self, message: AbstractIncomingMessage) -> None:
        """Rejected on its own: it leaves the in-flight set, which may free acks waiting behind it."""
        state = self._state(message)
        state.unsettled.pop(message.delivery_tag or 0, None)
        self._release(state)

    async def flush(self) -> None:
        for state in list(self._channels.values()):
            await state.send()

    def _state(self, message: AbstractIncomingMessage) -> _ChannelAcks:
        # A reconnect opens a new channel with tags of its own: one small state per channel ever opened.
        return self._channels.setdefault(id(message.channel), _ChannelAcks())

    def _release(self, state: _ChannelAcks) -> None:
        lowest_in_flight = next(iter(state.unsettled), None)
        while state.acked and (lowest_in_flight is None or state.acked[0][0] < lowest_in_flight):
            state.ready = heapq.heappop(state.acked)[2]
        if state.ready is not None and not state.scheduled:
            # Sent on the next loop turn, so the handlers finishing in this one share a single ack.
            state.scheduled = True
            asyncio.get_running_loop().call_soon(state.start_send)


class _ChannelAcks:
    def __init__(self) -> None:
        self.unsettled: dict[int, AbstractIncomingMessage] = {}  # in tag order: deliveries arrive in order
        self.acked: list[tuple[int, int, AbstractIncomingMessage]] = []
        self.ready: AbstractIncomingMessage | None = None
        self.scheduled = False
        self.tasks: set[asyncio.Future[None]] = set()

    def start_send(self) -> None:
        task = asyncio.ensure_future(self.send())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def send(self) -> None:
        self.scheduled = False
        message, self.ready = self.ready, None
        if message is None:
            return
        try:
            await message.ack(multiple=True)
        except Exception as exc:  # channel gone: the broker redelivers, and the inbox absorbs the repeat
            log.warning("bus.ack_failed", error=str(exc))


class RabbitDelivery:
    """Adapts an aio-pika delivery to the consumer's IncomingMessage."""

    def __init__(self, message: AbstractIncomingMessage, bus: Bus) -> None:
        self._message = message
        self._bus = bus
        self.body: bytes = message.body
        self.routing_key: str = message.routing_key or ""
        self.exchange: str = message.exchange or ""
        self.user_id: str | None = message.user_id

    @property
    def headers(self) -> dict[str, Any]:
        return dict(self._message.headers or {})

    @property
    def delivery_count(self) -> int:
        """Earlier deliveries of this message: quorum queues count them in `x-delivery-count`."""
        count = (self._message.headers or {}).get("x-delivery-count", 0)
        return count if isinstance(count, int) else 0

    async def ack(self) -> None:
        self._bus.acks.acked(self._message)

    async def requeue(self) -> None:
        # basic.reject, not basic.nack: from RabbitMQ 4.3 only a reject counts as a failed delivery, which the
        # quorum queue's delivery limit (and `x-delivery-count`) is about; before 4.3 both count.
        await self._message.reject(requeue=True)
        self._bus.acks.settled_otherwise(self._message)

    async def dead_letter(self, reason: str) -> None:
        """Publish a copy with the reason to the DLQ (confirmed), then ack the original: never lost, never twice."""
        await self._bus.publish_dead_letter(
            self._message, self.headers, reason=reason, routing_key=self.routing_key, user_id=self.user_id
        )
        self._bus.acks.acked(self._message)


class Bus:
    """Owns the broker connection (FastStream's robust aio-pika connection), declares the topology and feeds the
    service's consumer.

    The consume path subscribes with aio-pika directly on FastStream's channel: FastStream's own subscriber adds
    about a fifth to every message (its context and middleware layers), which bench/bus.py measures; everything
    Pilar needs per message (decode, validation, log context, ack policy) lives in EventConsumer anyway.
    """

    def __init__(self, url: str, topo: Topology, consumer: EventConsumer | None, *, prefetch: int = 32) -> None:
        self.topology = topo
        self.consumer = consumer
        self.prefetch = prefetch
        # On every reconnect the connection takes the next of AMQP_URL's addresses (a cluster's nodes).
        self.broker = failover_broker(url, logger=None, reconnect_interval=1.0, on_reconnected=[self._reconnected])
        # Called once the connection is back after a loss (e.g. the outbox relay's wake-up, ending its backoff).
        self.reconnected: list[Callable[[], None]] = []
        self.user = broker_user(url)
        self._events: AbstractRobustExchange | None = None
        self._publishing: AbstractRobustChannel | None = None
        self._published: AbstractRobustExchange | None = None
        self._dlx: AbstractRobustExchange | None = None
        self._queue: AbstractRobustQueue | None = None
        self._consumer_tag: str | None = None
        self._partitions: list[AbstractRobustQueue] = []
        self._consuming: dict[int, str] = {}  # partition → consumer tag
        self._retired: list[tuple[AbstractRobustQueue, str]] = []  # drained, see ``Topology.retired_queues``
        self._in_flight: Counter[str] = Counter()  # deliveries being handled, by consumer tag
        self.acks = AckBatcher()

    async def start(self) -> None:
        # Declare everything before consuming: the queue must exist with its dead-letter arguments.
        await self.broker.start()
        self._events = await self.broker.declare_exchange(self.topology.events)
        self._dlx = await self.broker.declare_exchange(self.topology.dlx)
        # The outbox relay publishes on a channel of its own, which `renew_publishing` replaces.
        self._publishing = await self.broker.config.channel_manager.get_channel(Channel())
        events = self.topology.events
        self._published = cast(
            AbstractRobustExchange,
            await self._publishing.declare_exchange(events.name, events.type.value, durable=events.durable),
        )
        if self.consumer is not None and self.topology.patterns:
            dlq = await self._declare_dead_letter_queue()
            await dlq.bind(self._dlx, routing_key=self.topology.dead_letter_key)
            if self.topology.partition_queues:
                await self._declare_partitions()  # consumed partition by partition, as the leases say (``hold``)
            else:
                self._queue = queue = await self.broker.declare_queue(self.topology.queue)
                for pattern in self.topology.patterns:
                    await queue.bind(self._events, routing_key=pattern)
                await queue.channel.set_qos(prefetch_count=self.prefetch)
                self._consumer_tag = await queue.consume(self._on_message)
            await self._retire()

    async def _declare_partitions(self) -> None:
        topo, events = self.topology, self._events
        assert events is not None
        unsharded = await self.broker.declare_exchange(topo.unsharded)
        sharded = await self.broker.declare_exchange(topo.partition_exchange)
        for pattern in topo.patterns:
            await sharded.bind(events, routing_key=pattern)
        for p, spec in enumerate(topo.partition_queues):
            queue = await self.broker.declare_queue(spec)
            for shard in range(topology.SHARDS):
                binding: dict[str, Any] = {"x-match": "all", topology.SHARD_HEADER: str(shard)}
                if shard % topo.partitions == p:
                    await queue.bind(sharded, arguments=binding)
                else:  # bound there by an earlier number of partitions
                    await queue.unbind(sharded, arguments=binding)
            if p == 0:
                await queue.bind(unsharded)
            self._partitions.append(queue)
        await self._partitions[0].channel.set_qos(prefetch_count=self.prefetch)

    async def _retire(self) -> None:
        """The queues of another number of partitions than this one's (``Topology.retired_queues``): unbound so
        they get no new events, and drained by every replica. Nothing to do for a service never partitioned."""
        topo, events = self.topology, self._events
        assert events is not None
        if not await self._found(topo.partition_exchange.name, exchange=True):
            return
        sharded = await self.broker.declare_exchange(topo.partition_exchange)
        if not topo.partition_queues:  # back to one queue: the partitions' exchange gets no new events
            for pattern in topo.patterns:
                await sharded.unbind(events, routing_key=pattern)
        for spec in topo.retired_queues():
            if not await self._found(spec.name):
                continue
            retired = await self.broker.declare_queue(spec)
            for pattern in topo.patterns:
                await retired.unbind(events, routing_key=pattern)
            for shard in range(topology.SHARDS):
                await retired.unbind(sharded, arguments={"x-match": "all", topology.SHARD_HEADER: str(shard)})
            self._retired.append((retired, await retired.consume(self._on_message)))

    async def _found(self, name: str, *, exchange: bool = False) -> bool:
        """Whether the broker has this queue (or exchange)."""
        async with self._side_channel() as channel:
            try:
                if exchange:
                    await channel.exchange_declare(name, passive=True)
                else:
                    await channel.queue_declare(name, passive=True)
            except aio_pika.exceptions.ChannelNotFoundEntity:
                return False
        return True

    @contextlib.asynccontextmanager
    async def _side_channel(self) -> AsyncIterator[AbstractChannel]:
        """A channel of its own for a passive declare, sent on the wire: the robust channel would hand back what it
        declared at start. A refused declare (the queue or exchange missing) closes only this channel."""
        queue = self._queue or self._partitions[0]
        underlay = await queue.channel.get_underlay_channel()
        channel = await underlay.connection.channel()
        try:
            yield channel
        finally:
            if not channel.is_closed:
                await channel.close()

    async def hold(self, partitions: set[int]) -> None:
        """Consume exactly these partitions' queues (the ones this replica holds the leases of)."""
        for p in sorted(set(self._consuming) - partitions):
            tag = self._consuming.pop(p)
            try:
                await self._partitions[p].cancel(tag)
            except Exception as exc:  # the broker gone: the consumer went with the channel
                log.warning("bus.cancel_failed", queue=self._partitions[p].name, error=f"{type(exc).__name__}: {exc}")
            # Given up only once its deliveries here are handled: the next holder never handles them at once.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._handled_all(tag), timeout=30)
        for p in sorted(partitions - set(self._consuming)):
            self._consuming[p] = await self._partitions[p].consume(self._on_message)

    @property
    def consumed_partitions(self) -> set[int]:
        return set(self._consuming)

    async def _declare_dead_letter_queue(self) -> AbstractRobustQueue:
        """The DLQ with its arguments, or as it is when an earlier release declared it without them: RabbitMQ
        refuses to change an existing queue's arguments, and the broker policy gives it the limit instead."""
        declarer = self.broker.config.declarer
        try:
            # On a channel of its own: the refusal closes the channel it comes on.
            return await declarer.declare_queue(self.topology.dlq, channel=Channel())
        except ChannelPreconditionFailed as exc:
            log.warning(
                "bus.dead_letter_queue_without_limit",
                queue=self.topology.dlq.name,
                broker=str(exc),
                fix=f"give the DLQs the {topology.DEAD_LETTER_POLICY!r} policy (README: upgrading RabbitMQ)",
            )
            return await declarer.declare_queue(self.topology.dlq, declare=False)

    def _reconnected(self, _connection: object) -> None:
        log.info("bus.reconnected")
        for hook in self.reconnected:
            hook()

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        assert self.consumer is not None
        self.acks.received(message)
        tag = message.consumer_tag or ""
        self._in_flight[tag] += 1
        try:
            await self.consumer.consume(RabbitDelivery(message, self))
        finally:
            self._in_flight[tag] -= 1

    async def _handled_all(self, consumer_tag: str) -> None:
        while self._in_flight[consumer_tag]:
            await asyncio.sleep(0.05)
        del self._in_flight[consumer_tag]

    async def stop(self) -> None:
        """Stop taking messages, finish the ones in flight (graceful shutdown), then close the connection."""
        if self._queue is not None and self._consumer_tag is not None:
            with contextlib.suppress(Exception):  # the broker may already be gone; unacked messages come back
                await self._queue.cancel(self._consumer_tag)
            self._consumer_tag = None
        if self._consuming:
            await self.hold(set())
        for queue, tag in self._retired:
            with contextlib.suppress(Exception):
                await queue.cancel(tag)
        self._retired.clear()
        if self.consumer is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.consumer.wait_idle(), timeout=30)
            await self.acks.flush()
        await self.broker.stop()

    def publishing(self) -> AbstractRobustExchange:
        """The events exchange on the outbox relay's own channel."""
        assert self._published is not None, "bus not started"
        return self._published

    async def renew_publishing(self) -> None:
        """Replace the relay's channel after the broker refused a publish on it (a nack).

        A channel keeps what it learnt of each quorum queue: on a RabbitMQ without rabbitmq-server#9241 (3.13 and
        4.x have it), one that first published to a queue while the queue's record still named a lost node as its
        leader is refused every publish to it until it is reopened (the cluster test met it on 3.10). A fresh
        channel asks again.
        """
        assert self._publishing is not None, "bus not started"
        try:
            await self._publishing.close()
        finally:
            # Reopened even when the close failed; if the connection is away, the reopen fails but leaves the
            # channel to the robust connection, which restores it with the others once it is back.
            await self._publishing.reopen()
        log.info("bus.publishing_channel_renewed")

    def dead_letters(self) -> AbstractRobustExchange:
        assert self._dlx is not None, "bus not started"
        return self._dlx

    async def publish_dead_letter(
        self,
        raw: AbstractIncomingMessage,
        headers: Mapping[str, Any],
        *,
        reason: str,
        routing_key: str,
        user_id: str | None,
    ) -> None:
        """Put a copy of a message in this service's DLQ with the reason, its original routing key and user."""
        copy = {
            **{k: v for k, v in headers.items() if k != USER_HEADER},  # only this consumer says who published
            REASON_HEADER: reason[:1000],
            ROUTING_KEY_HEADER: routing_key,
            QUEUE_HEADER: self.topology.queue.name,
        }
        if user_id:
            copy[USER_HEADER] = user_id
        await self.dead_letters().publish(
            aio_pika.Message(
                body=raw.body,
                headers=copy,
                content_type=raw.content_type,
                message_id=raw.message_id,
                correlation_id=raw.correlation_id,
                type=raw.type,
                timestamp=datetime.now(UTC),  # when it was dead-lettered, shown to the operator
                # The copy is this consumer's own: a redrive trusts its user header for that reason only.
                user_id=self.user,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=self.topology.dead_letter_key,
        )

    async def ping(self) -> bool:
        try:
            return bool(await self.broker.ping(timeout=2))
        except Exception:
            return False

    async def queue_counts(self) -> tuple[int, int, int] | None:
        """Messages waiting and consumers of the service's queue — or partitions, and the queues retired and still
        being drained —, and messages in its DLQ (``pilar status``)."""
        names = [q.name for q in self._partitions] or ([self.topology.queue.name] if self._queue else [])
        if not names:
            return None
        names += [queue.name for queue, _ in self._retired]
        counts = [await self._declared(name) for name in names]
        dead, _ = await self._declared(self.topology.dlq.name)
        return sum(waiting for waiting, _ in counts), sum(consumers for _, consumers in counts), dead

    async def _declared(self, name: str) -> tuple[int, int]:
        """A queue's current message and consumer counts (a passive declare answers them)."""
        async with self._side_channel() as channel:
            found = await channel.queue_declare(name, passive=True)
        return int(found.message_count or 0), int(found.consumer_count or 0)

    async def dlq_depth(self) -> int | None:
        if self._queue is None and not self._partitions:
            return None
        return (await self._declared(self.topology.dlq.name))[0]
