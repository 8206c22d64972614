"""Several broker addresses — the nodes of a RabbitMQ cluster — and a connection that fails over between them.

``AMQP_URL`` may list the nodes, comma-separated: ``amqp://u:p@rabbit-1:5672/,amqp://u:p@rabbit-2:5672/``. Every
address logs in as the same user on the same virtual host (a cluster shares its users and vhosts, and the user is
who the service publishes as); a comma inside a password is percent-encoded (``%2C``), as in any URL.

A connection tries the addresses in turn: the first connection starts with the first address, and every attempt
after a lost connection starts with the address after the one it last used, going round the list once before
aio-pika's robust connection pauses and tries again. Whichever node answers, aio-pika restores the channels, the
declarations and the consumers on it, as after any reconnect: the cluster shares exchanges and quorum queues.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote, urlparse

import aio_pika
import structlog
from aio_pika.abc import AbstractConnection
from aio_pika.exceptions import CONNECTION_EXCEPTIONS
from aio_pika.robust_connection import RobustConnection
from faststream.rabbit import RabbitBroker
from yarl import URL

log = structlog.get_logger("pilar.bus")

SCHEMES = ("amqp", "amqps")


class BrokerAddressError(ValueError):
    """AMQP_URL cannot be used; the message never repeats an address (they carry passwords)."""


def broker_addresses(amqp_url: str) -> tuple[str, ...]:
    """The addresses listed in AMQP_URL, in order; raises BrokerAddressError when they cannot work together."""
    addresses = tuple(part.strip() for part in amqp_url.split(",") if part.strip())
    if not addresses:
        raise BrokerAddressError("AMQP_URL names no broker")
    for number, address in enumerate(addresses, 1):
        parsed = urlparse(address)
        if parsed.scheme not in SCHEMES or not parsed.hostname:
            raise BrokerAddressError(f"AMQP_URL address {number} is not an amqp:// or amqps:// URL with a host")
    if len({_login(address) for address in addresses}) > 1:
        raise BrokerAddressError("the addresses in AMQP_URL log in as different users or to different vhosts")
    return addresses


def _login(address: str) -> tuple[str, str]:
    parsed = urlparse(address)
    return unquote(parsed.username or ""), parsed.path.rstrip("/") or "/"


def where(amqp_url: str) -> str:
    """The hosts and ports of AMQP_URL, for messages (no user, no password)."""
    found = [urlparse(address) for address in broker_addresses(amqp_url)]
    return ", ".join(f"{p.hostname}:{p.port or (5671 if p.scheme == 'amqps' else 5672)}" for p in found)


class AddressRing:
    """The addresses in turn, round the list: pure, so the order is tested without a broker."""

    def __init__(self, addresses: Sequence[Any]) -> None:
        if not addresses:
            raise ValueError("no addresses")
        self.addresses = list(addresses)
        self._next = 0

    def __len__(self) -> int:
        return len(self.addresses)

    def take(self) -> Any:
        address = self.addresses[self._next]
        self._next = (self._next + 1) % len(self.addresses)
        return address


# aio-pika's robust connection makes each attempt in one private method, the only place that runs before every
# attempt; the lock pins aio-pika, and the failover tests fail if a release renames it.
_ATTEMPT = "_RobustConnection__connect_transport"
if not hasattr(RobustConnection, _ATTEMPT):  # pragma: no cover - guards an aio-pika upgrade
    raise ImportError(f"aio-pika's RobustConnection has no {_ATTEMPT}: broker failover needs updating")


# After a lost connection, how long to wait before connecting again: the lost node's quorum queues elect new
# leaders meanwhile (well under a second on the cluster test's machine) and the queues' records follow. A channel
# opened before the records name the new leaders keeps the lost one where RabbitMQ takes the leader from the record
# (before rabbitmq-server#9241, which 3.13 and 4.x have): on 3.10 such a channel was refused every publish, and a
# consumer's stopped receiving.
PAUSE_AFTER_LOSS_SECONDS = 5.0


class FailoverConnection(RobustConnection):
    """aio-pika's robust connection over several addresses: each attempt goes round them once, starting after the
    address used last, and fails only when none answers; once connected, every later attempt first waits
    ``pause_after_loss`` seconds."""

    def __init__(
        self,
        url: URL,
        loop: Any = None,
        *,
        addresses: Sequence[str],
        pause_after_loss: float = PAUSE_AFTER_LOSS_SECONDS,
        **kwargs: Any,
    ) -> None:
        super().__init__(url, loop=loop, **kwargs)
        self.pause_after_loss = pause_after_loss
        # aio-pika puts its own options (reconnect interval, fail fast) in the first URL's query: the others get
        # them too.
        own = set(URL(addresses[0]).query)
        options = {key: value for key, value in url.query.items() if key not in own}
        self.ring = AddressRing([url, *(URL(address).update_query(options) for address in addresses[1:])])

    async def _RobustConnection__connect_transport(self) -> None:
        attempt = getattr(super(), _ATTEMPT)
        if self.connection_attempt:  # connected before: this connection was lost
            await asyncio.sleep(self.pause_after_loss)
        for turn in range(len(self.ring)):
            self.url = self.ring.take()
            try:
                await attempt()
            except CONNECTION_EXCEPTIONS as exc:
                if turn == len(self.ring) - 1:
                    raise
                log.warning("bus.broker_unreachable", broker=f"{self.url.host}:{self.url.port}", error=repr(exc))
            else:
                log.info("bus.broker_connected", broker=f"{self.url.host}:{self.url.port}")
                return


def failover_broker(
    amqp_url: str, *, pause_after_loss: float = PAUSE_AFTER_LOSS_SECONDS, **options: Any
) -> RabbitBroker:
    """FastStream's broker on a connection failing over between AMQP_URL's addresses."""
    addresses = broker_addresses(amqp_url)
    broker = RabbitBroker(addresses[0], **options)
    # FastStream hands these to aio-pika's connect_robust, which builds its connection with connection_class.
    broker._connection_kwargs["connection_class"] = functools.partial(
        FailoverConnection, addresses=addresses, pause_after_loss=pause_after_loss
    )
    return broker


async def connect_first(amqp_url: str, *, timeout: float | None = None) -> AbstractConnection:
    """A plain connection (no reconnect) to the first of AMQP_URL's addresses that answers, for one-off work."""
    failed: BaseException | None = None
    for address in broker_addresses(amqp_url):
        try:
            return await aio_pika.connect(address, timeout=timeout)
        except (*CONNECTION_EXCEPTIONS, TimeoutError) as exc:
            failed = exc
    assert failed is not None
    raise failed
