"""Names of the exchanges, queues and routing keys (DESIGN §3).

Every name can carry a namespace prefix so that test runs and parallel stacks on one broker never meet.
"""

from __future__ import annotations

import re

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
