"""Several broker addresses in AMQP_URL: parsed and checked as pure code, and a connection failing over between
them against the real broker, reached through two TCP forwarders standing in for two cluster nodes (the three-node
cluster itself is `tests/cluster/`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import cast
from urllib.parse import urlparse

import aio_pika
import pytest
from aio_pika.exceptions import DeliveryError

from contracts import topology
from contracts.envelope import Envelope
from pilar_dev.devstack import free_port
from pilar_dev.testing import Tap, publish_event
from pilar_runtime.brokeraddresses import (
    PAUSE_AFTER_LOSS_SECONDS,
    AddressRing,
    BrokerAddressError,
    FailoverConnection,
    broker_addresses,
    connect_first,
    where,
)
from pilar_runtime.brokerusers import broker_user, broker_vhost, with_user
from pilar_runtime.bus import Bus, Topology
from pilar_runtime.mongo import Mongo, UnitOfWork
from pilar_runtime.outbox import OutboxRelay
from pilar_runtime.settings import ServiceSettings
from tests.runtime.helpers import worker_event

CLUSTER = "amqp://pilar:s3cret@rabbit-1:5672/pilar,amqp://pilar:s3cret@rabbit-2:5672/pilar, amqps://pilar:s3cret@rabbit-3/pilar"


def test_addresses_are_read_in_order_with_spaces_and_empty_parts_ignored() -> None:
    assert broker_addresses(CLUSTER + ",") == (
        "amqp://pilar:s3cret@rabbit-1:5672/pilar",
        "amqp://pilar:s3cret@rabbit-2:5672/pilar",
        "amqps://pilar:s3cret@rabbit-3/pilar",
    )
    assert broker_addresses("amqp://guest:guest@127.0.0.1:5672/") == ("amqp://guest:guest@127.0.0.1:5672/",)
    assert where(CLUSTER) == "rabbit-1:5672, rabbit-2:5672, rabbit-3:5671"


@pytest.mark.parametrize(
    ("amqp_url", "reason"),
    [
        ("", "names no broker"),
        (" , ", "names no broker"),
        ("amqp://pilar:s3cret@rabbit-1/pilar,http://pilar:s3cret@rabbit-2/pilar", "address 2 is not"),
        ("amqp://pilar:s3cret@rabbit-1/pilar,amqp://other:s3cret@rabbit-2/pilar", "different users"),
        ("amqp://pilar:s3cret@rabbit-1/pilar,amqp://pilar:s3cret@rabbit-2/elsewhere", "different vhosts"),
        ("amqp://pilar:s3cret@/pilar", "address 1 is not"),
    ],
)
def test_addresses_that_cannot_work_together_are_refused_without_quoting_them(amqp_url: str, reason: str) -> None:
    with pytest.raises(BrokerAddressError, match=reason) as refused:
        broker_addresses(amqp_url)
    assert "s3cret" not in str(refused.value)


def test_a_service_refuses_to_start_on_addresses_that_disagree() -> None:
    with pytest.raises(ValueError, match="different users"):
        ServiceSettings(amqp_url="amqp://a:x@rabbit-1/,amqp://b:x@rabbit-2/")


def test_the_ring_goes_round_the_addresses_from_the_first() -> None:
    ring = AddressRing(["a", "b", "c"])
    assert [ring.take() for _ in range(7)] == ["a", "b", "c", "a", "b", "c", "a"]
    with pytest.raises(ValueError):
        AddressRing([])


def test_user_vhost_and_a_new_login_apply_to_the_whole_list() -> None:
    assert broker_user(CLUSTER) == "pilar"
    assert broker_vhost(CLUSTER) == "pilar"
    swapped = with_user(CLUSTER, "pilar-registry", "p,w@d")
    assert broker_addresses(swapped) == (
        "amqp://pilar-registry:p%2Cw%40d@rabbit-1:5672/pilar",
        "amqp://pilar-registry:p%2Cw%40d@rabbit-2:5672/pilar",
        "amqps://pilar-registry:p%2Cw%40d@rabbit-3/pilar",
    )


class Forwarder:
    """A TCP forwarder to the broker: one "node" the test can take away, cutting every connection through it."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> Forwarder:
        self._server = await asyncio.start_server(self._forward, "127.0.0.1", self.port)
        return self

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self._writers |= {writer, up_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def stop(self) -> None:
        """The node goes away: no new connection, and the open ones cut."""
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        await self._server.wait_closed()


def through(amqp_url: str, *ports: int) -> str:
    parsed = urlparse(amqp_url)
    login = parsed.netloc.rpartition("@")[0]
    return ",".join(f"amqp://{login}@127.0.0.1:{port}{parsed.path}" for port in ports)


@pytest.fixture
async def nodes(amqp_url: str) -> AsyncIterator[tuple[Forwarder, Forwarder]]:
    parsed = urlparse(amqp_url)
    target = (parsed.hostname or "127.0.0.1", parsed.port or 5672)
    first, second = Forwarder(target), Forwarder(target)
    await first.start()
    await second.start()
    yield first, second
    for node in (first, second):
        with contextlib.suppress(Exception):
            await node.stop()


async def test_a_one_off_connection_takes_the_first_address_that_answers(
    amqp_url: str, nodes: tuple[Forwarder, Forwarder]
) -> None:
    _, second = nodes
    connection = await connect_first(through(amqp_url, free_port(), second.port), timeout=5)
    async with connection:
        assert second.connections == 1


async def test_the_bus_starts_on_a_later_address_and_fails_over_when_its_node_goes(
    amqp_url: str, namespace: str, nodes: tuple[Forwarder, Forwarder], amqp: object
) -> None:
    first, second = nodes
    closed = free_port()  # a node that is down from the start
    bus = Bus(through(amqp_url, closed, first.port, second.port), Topology("registry", namespace), None)
    await bus.start()
    try:
        connection = bus.broker._connection
        assert isinstance(connection, FailoverConnection)
        assert connection.url.port == first.port
        assert (first.connections, second.connections) == (1, 0)
        tap = await Tap.open(amqp, namespace)  # type: ignore[arg-type]
        before, after = worker_event(), worker_event()
        await publish_event(bus.publishing(), before, amqp_url=amqp_url)

        woken: list[bool] = []
        bus.reconnected.append(lambda: woken.append(True))
        lost_at = asyncio.get_running_loop().time()
        await first.stop()  # the connected node goes: the next attempt takes the next address, which answers
        with contextlib.suppress(Exception):  # renewed while the connection is away: it comes back with the rest
            await bus.renew_publishing()
        await _published_once_reconnected(bus, after, amqp_url)
        assert asyncio.get_running_loop().time() - lost_at >= PAUSE_AFTER_LOSS_SECONDS  # the queues' leaders settle
        assert connection.url.port == second.port
        assert woken == [True]  # what waits for the broker (the outbox relay) is told it is back
        assert second.connections == 1
        seen = await tap.collect(lambda s: len(s) >= 2)
        assert [e["event_id"] for e in seen] == [str(before.event_id), str(after.event_id)]
        assert await bus.ping()
    finally:
        await bus.stop()


async def _published_once_reconnected(bus: Bus, event: Envelope, amqp_url: str) -> None:
    """Publish as the outbox relay does: a failed publish is tried again until the broker confirms it."""
    for _ in range(100):
        try:
            await publish_event(bus.publishing(), event, amqp_url=amqp_url)
            return
        except Exception:
            await asyncio.sleep(0.1)
    raise AssertionError("never published after the failover")


async def test_a_publish_the_broker_refuses_is_tried_again_on_a_fresh_channel(
    amqp_url: str, namespace: str, mongo: Mongo, amqp: aio_pika.abc.AbstractConnection
) -> None:
    bus = Bus(amqp_url, Topology("registry", namespace), None)
    await bus.start()
    channel = await amqp.channel()
    full = await channel.declare_queue(  # takes nothing: the broker nacks every event routed to it
        f"{namespace}.full", arguments={"x-max-length": 0, "x-overflow": "reject-publish"}
    )
    try:
        await full.bind(topology.namespaced(topology.EVENTS_EXCHANGE, namespace), routing_key="#")
        tap = await Tap.open(amqp, namespace)
        relay = OutboxRelay(
            mongo,
            bus.publishing(),
            service="registry",
            user_id=broker_user(amqp_url),
            lease_seconds=0.5,
            renew_channel=bus.renew_publishing,
        )
        event = worker_event("w-refused")
        await mongo.transact(lambda uow: _emit(uow, event))
        refused_on = await _underlay(bus)
        with pytest.raises(DeliveryError):
            await relay.relay_once()
        assert await _underlay(bus) is not refused_on  # a fresh channel

        await full.delete(if_unused=False, if_empty=False)
        await asyncio.sleep(0.6)  # the refused batch's lease (0.5 s here) runs out; the relay claims it again
        assert await relay.relay_once() == 1
        seen = await tap.collect(lambda s: len(s) >= 1)
        assert [e["event_id"] for e in seen] == [str(event.event_id)]
    finally:
        await channel.queue_delete(f"{namespace}.full")
        await bus.stop()


async def _emit(uow: UnitOfWork, event: Envelope) -> None:
    uow.emit(event)


async def _underlay(bus: Bus) -> object:
    """The AMQP channel the relay's exchange publishes on right now."""
    return await cast(aio_pika.RobustExchange, bus.publishing()).channel.get_underlay_channel()
