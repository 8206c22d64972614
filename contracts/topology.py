"""Names of the exchanges, queues and routing keys (DESIGN §3).

Every name can carry a namespace prefix so that test runs and parallel stacks on one broker never meet.
"""

from __future__ import annotations

import re
import zlib

EVENTS_EXCHANGE = "pilar.events"
DEAD_LETTER_EXCHANGE = "pilar.dlx"
SERVICES = ("registry", "outreach", "notify", "reporting", "console")

# The patterns each consuming service binds its queue with.
SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    # Formation checks the campaign or session it cites against the registry's copy of them.
    "registry": ("outreach.campaign_planned", "outreach.session_scheduled", "outreach.session_rescheduled"),
    "outreach": ("registry.*",),
    "notify": ("registry.*", "outreach.*", "reporting.*"),
    "reporting": ("#",),
    "console": (),  # it only publishes: account changes
}


def namespaced(name: str, namespace: str = "") -> str:
    return f"{namespace}.{name}" if namespace else name


def service_queue(service: str, namespace: str = "") -> str:
    return namespaced(f"{service}.events", namespace)


# Partitions: a service that runs several replicas without them contending (reporting) takes its events from
# partition queues instead of one queue. Every event carries its shard — a hash of its aggregate, fixed for ever —
# in a header; a headers exchange of the service's own sends shard s to partition s mod (partitions), so one
# aggregate's events stay in one partition, in order.
SHARD_HEADER = "pilar-shard"  # not "x-…": a headers exchange ignores those when matching
SHARDS = 64  # the most partitions a service can have


def shard_of(aggregate_id: str) -> int:
    return zlib.crc32(aggregate_id.encode()) % SHARDS


def partition_of(aggregate_id: str, partitions: int) -> int:
    return shard_of(aggregate_id) % partitions


def partition_exchange(service: str, namespace: str = "") -> str:
    return namespaced(f"{service}.partitions", namespace)


def unsharded_exchange(service: str, namespace: str = "") -> str:
    return namespaced(f"{service}.partitions.unsharded", namespace)


def partition_queue(service: str, partition: int, namespace: str = "") -> str:
    return namespaced(f"{service}.events.{partition}", namespace)


def dead_letter_queue(service: str, namespace: str = "") -> str:
    return namespaced(f"{service}.dlq", namespace)


# Deliveries a dead letter survives before RabbitMQ drops it. A DLQ has nowhere further to dead-letter, and
# RabbitMQ 4 gives a quorum queue without a limit a default of 20, which operators listing a DLQ (each listing
# returns its messages) would reach. A million is never reached in practice and, unlike RabbitMQ 4's -1
# ("unlimited"), means the same on 3.13.
DEAD_LETTER_DELIVERY_LIMIT = 1_000_000
DEAD_LETTER_POLICY = "pilar-dead-letters"


def dead_letter_policy(namespace: str = "", vhost: str = "/") -> dict[str, object]:
    """The broker policy (definitions format) that gives every service's DLQ the limit, also to DLQs declared
    before their queue arguments carried it (RabbitMQ never changes an existing queue's arguments)."""
    names = "|".join(SERVICES)
    prefix = re.escape(f"{namespace}.") if namespace else ""
    return {
        "vhost": vhost,
        "name": namespaced(DEAD_LETTER_POLICY, namespace),
        "pattern": f"^{prefix}({names})\\.dlq$",
        "apply-to": "queues",
        "definition": {"delivery-limit": DEAD_LETTER_DELIVERY_LIMIT},
        "priority": 0,
    }
