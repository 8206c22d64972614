"""Prometheus metrics shared by every service (labelled by service so one registry serves tests too)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

MESSAGES_HANDLED = Counter(
    "pilar_messages_handled_total",
    "Messages handled (including duplicates skipped)",
    ["service", "event_type"],
)
MESSAGES_FAILED = Counter(
    "pilar_messages_failed_total",
    "Messages that failed: retried or dead-lettered",
    ["service", "event_type", "outcome"],
)
HANDLER_SECONDS = Histogram("pilar_handler_seconds", "Time spent handling one message", ["service", "event_type"])
OUTBOX_BACKLOG = Gauge("pilar_outbox_backlog", "Outbox documents not yet published", ["service"])
DLQ_DEPTH = Gauge("pilar_dlq_depth", "Messages waiting in the service's dead-letter queue", ["service"])
TIMERS_FIRED = Counter("pilar_timers_fired_total", "Timers fired", ["service", "kind"])
