"""Names of the exchanges, queues and routing keys (DESIGN §3).

Every name can carry a namespace prefix so that test runs and parallel stacks on one broker never meet.
"""

from __future__ import annotations

EVENTS_EXCHANGE = "pilar.events"
DEAD_LETTER_EXCHANGE = "pilar.dlx"
SERVICES = ("registry", "outreach", "notify", "reporting")

# The patterns each consuming service binds its queue with.
SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    # Formation checks the campaign or session it cites against the registry's copy of them.
    "registry": ("outreach.campaign_planned", "outreach.session_scheduled", "outreach.session_rescheduled"),
    "outreach": ("registry.*",),
    "notify": ("registry.*", "outreach.*", "reporting.*"),
    "reporting": ("#",),
}


def namespaced(name: str, namespace: str = "") -> str:
    return f"{namespace}.{name}" if namespace else name


def service_queue(service: str, namespace: str = "") -> str:
    return namespaced(f"{service}.events", namespace)


def dead_letter_queue(service: str, namespace: str = "") -> str:
    return namespaced(f"{service}.dlq", namespace)
