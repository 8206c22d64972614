"""Who may publish what on the bus: one broker user per service (DESIGN §7).

Each service connects as its own broker user, whose topic permission on the events exchange admits only its
own routing keys (``<service>.*``), and its outbox relay stamps that user on every message as the AMQP
``user_id`` property. RabbitMQ refuses a ``user_id`` other than the authenticated user's ("validated user-id"),
so a consumer that finds the producer's user there knows the producer's credentials published it.

``permissions`` is the grant of one service; ``Rabbitmqctl`` applies it on a local broker (``pilar up``, tests).
compose.yaml carries the same grants as a definitions file.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlparse, urlunparse

from contracts import topology
from contracts.envelope import PRODUCERS

# What AMQP clients log in as when the URL names no user.
DEFAULT_USER = "guest"


def broker_user(amqp_url: str) -> str:
    """The broker user an AMQP URL logs in as (every address of a list logs in as the same one)."""
    return unquote(urlparse(_first(amqp_url)).username or DEFAULT_USER)


def broker_vhost(amqp_url: str) -> str:
    path = urlparse(_first(amqp_url)).path
    return unquote(path[1:]) if len(path) > 1 else "/"


def producer_users(amqp_url: str, configured: Mapping[str, str], service: str) -> dict[str, str]:
    """The broker user every producer publishes as.

    ``configured`` (``PILAR_BROKER_USERS``) names one per producer; empty means the whole stack runs as one user,
    this service's own. Either way every producer has a user, so a message without ``user_id`` is never taken.
    Raises ValueError for a map that misses a producer or disagrees with this service's own AMQP_URL user.
    """
    own = broker_user(amqp_url)
    if not configured:
        return dict.fromkeys(PRODUCERS, own)
    missing = [p for p in PRODUCERS if not configured.get(p)]
    if missing:
        raise ValueError(f"PILAR_BROKER_USERS names no broker user for {', '.join(missing)}")
    if service in PRODUCERS and configured[service] != own:
        raise ValueError(
            f"AMQP_URL logs in as {own!r}, but PILAR_BROKER_USERS says {service} publishes as {configured[service]!r}"
        )
    return {p: configured[p] for p in PRODUCERS}


@dataclass(frozen=True)
class Permissions:
    """One service's grant: regular permissions (regular expressions over exchange and queue names) and the
    topic permission on the events exchange (over routing keys)."""

    configure: str
    write: str
    read: str
    exchange: str
    topic_write: str
    topic_read: str


def permissions(service: str, namespace: str = "") -> Permissions:
    """Its own queue and DLQ, the events exchange and the dead-letter exchange; publishing only ``<service>.*``;
    binding its queue only with its own subscriptions (so it reads no event it has no business with, e.g. workers'
    contacts).

    No write on the default exchange (``amq.default``): only an operator publishes straight into a queue.
    """
    names = [
        topology.namespaced(topology.EVENTS_EXCHANGE, namespace),
        topology.namespaced(topology.DEAD_LETTER_EXCHANGE, namespace),
        topology.service_queue(service, namespace),
        topology.dead_letter_queue(service, namespace),
    ]
    partitioned = [  # its partitions, when it runs with several (see contracts.topology)
        re.escape(topology.partition_exchange(service, namespace)) + r"(\.unsharded)?",
        re.escape(topology.service_queue(service, namespace)) + r"\.[0-9]+",
    ]
    own = "^(" + "|".join([*(re.escape(name) for name in names), *partitioned]) + ")$"
    return Permissions(
        configure=own,
        write=own,
        read=own,
        exchange=names[0],
        topic_write=f"^{re.escape(service)}\\.",
        topic_read="^(" + "|".join(re.escape(pattern) for pattern in topology.SUBSCRIPTIONS[service]) + ")$",
    )


def definitions(users: Mapping[str, tuple[str, str]], namespace: str = "", vhost: str = "/") -> dict[str, Any]:
    """RabbitMQ definitions (its import format) giving each service's user, ``{service: (user, password)}``, its
    grant and nothing else."""
    grants = {service: permissions(service, namespace) for service in users}
    return {
        "users": [{"name": user, "password": password, "tags": []} for user, password in users.values()],
        "permissions": [
            {"user": user, "vhost": vhost, "configure": g.configure, "write": g.write, "read": g.read}
            for (user, _), g in zip(users.values(), grants.values(), strict=True)
        ],
        "topic_permissions": [
            {"user": user, "vhost": vhost, "exchange": g.exchange, "write": g.topic_write, "read": g.topic_read}
            for (user, _), g in zip(users.values(), grants.values(), strict=True)
        ],
    }


def with_user(amqp_url: str, user: str, password: str) -> str:
    """The same broker (every address of a list), logged in as another user."""
    login = f"{quote(user, safe='')}:{quote(password, safe='')}@"
    parsed = [urlparse(address.strip()) for address in amqp_url.split(",") if address.strip()]
    return ",".join(urlunparse(p._replace(netloc=login + p.netloc.rpartition("@")[2])) for p in parsed)


def _first(amqp_url: str) -> str:
    return amqp_url.split(",", 1)[0].strip()


class RabbitmqctlError(RuntimeError):
    pass


class Rabbitmqctl:
    """The local broker's ``rabbitmqctl``: usable only where it runs and may talk to the node (root, or the
    rabbitmq user's Erlang cookie). Each call starts an Erlang VM (seconds), so users go in with one import."""

    def __init__(self, vhost: str = "/") -> None:
        self.vhost = vhost
        self.path = shutil.which("rabbitmqctl")

    def _run(self, *args: str, stdin: str | None = None) -> str:
        if self.path is None:
            raise RabbitmqctlError("rabbitmqctl is not on PATH")
        done = subprocess.run(
            [self.path, "-q", *args], input=stdin, capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            # Passwords go through stdin, never the command line, and rabbitmqctl does not echo them.
            first = (done.stderr or done.stdout).strip().splitlines()
            raise RabbitmqctlError(f"rabbitmqctl {args[0]} failed: {first[0] if first else done.returncode}")
        return done.stdout

    def put_service_users(self, users: Mapping[str, tuple[str, str]], namespace: str = "") -> None:
        """Create (or reset) each service's user, ``{service: (user, password)}``, with exactly its grant."""
        self._run("import_definitions", stdin=json.dumps(definitions(users, namespace, self.vhost)))

    def add_tags(self, user: str, tags: Sequence[str]) -> None:
        entries = json.loads(self._run("list_users", "--formatter", "json") or "[]")
        current = next((list(e.get("tags", [])) for e in entries if e.get("user") == user), [])
        wanted = [*current, *(t for t in tags if t not in current)]
        if wanted != current:
            self._run("set_user_tags", user, *wanted)

    def delete_user(self, user: str) -> None:
        self._run("delete_user", user)
