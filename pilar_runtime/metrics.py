"""Prometheus metrics shared by every service (labelled by service so one registry serves tests too).

Names follow Prometheus conventions (base units, ``_total`` counters, ``_seconds`` durations) and every label
takes a bounded set of values: route templates rather than paths, catalogue event types rather than whatever a
message claims (anything else is ``other``).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from contracts.catalogue import EVENT_TYPES

HTTP_REQUESTS = Counter(
    "pilar_http_requests_total",
    "HTTP requests answered, by route template and status code",
    ["service", "method", "route", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "pilar_http_request_duration_seconds",
    "Time to answer one HTTP request, by route template",
    ["service", "method", "route"],
)
MESSAGES_HANDLED = Counter(
    "pilar_messages_handled_total",
    "Messages handled (including duplicates skipped)",
    ["service", "event_type"],
)
MESSAGES_FAILED = Counter(
    "pilar_messages_failed_total",
    "Messages that failed: retried, or dead-lettered (rejected at once, or given up at the delivery limit)",
    ["service", "event_type", "outcome"],
)
MESSAGES_DEAD_LETTERED = Counter(
    "pilar_messages_dead_lettered_total",
    "Messages this service's consumer sent to its dead-letter queue",
    ["service", "event_type"],
)
MESSAGE_HANDLING_DURATION = Histogram(
    "pilar_message_handling_duration_seconds",
    "Time spent handling one message (formerly pilar_handler_seconds)",
    ["service", "event_type"],
)
OUTBOX_BACKLOG = Gauge("pilar_outbox_backlog", "Events in the outbox not yet published", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "pilar_outbox_oldest_age_seconds", "Age of the oldest outbox document not yet published (0 when none)", ["service"]
)
DLQ_DEPTH = Gauge("pilar_dlq_depth", "Messages waiting in the service's dead-letter queue", ["service"])
TIMERS_FIRED = Counter("pilar_timers_fired_total", "Timers fired", ["service", "kind"])
TIMERS_DUE = Gauge("pilar_timers_due", "Timers whose time has come and that have not fired yet", ["service"])


def event_type_label(event_type: str) -> str:
    """A catalogue event type as itself; anything a message merely claims to be is ``other``."""
    return event_type if event_type in EVENT_TYPES else "other"
