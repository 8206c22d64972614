"""Building envelopes: the producer, correlation and causation come from the catalogue and the log context."""

from __future__ import annotations

import uuid

import structlog

from contracts.catalogue import EVENT_TYPES
from contracts.envelope import Envelope, EventPayload


def current_correlation_id() -> str:
    """The flow's correlation id (bound by the HTTP middleware or the consumer), or a fresh one."""
    found = structlog.contextvars.get_contextvars().get("correlation_id")
    return str(found) if found else str(uuid.uuid4())


def new_event(
    event_type: str,
    payload: EventPayload,
    *,
    actor: str,
    region_code: str,
    aggregate_id: str,
    aggregate_version: int,
    causation_id: str | None = None,
) -> Envelope:
    entry = EVENT_TYPES[event_type]
    if not isinstance(payload, entry.model):
        raise TypeError(f"{event_type} carries {entry.model.__name__}, not {type(payload).__name__}")
    if causation_id is None:
        causation_id = structlog.contextvars.get_contextvars().get("event_id")
    return Envelope(
        event_type=event_type,
        producer=entry.producer,
        correlation_id=current_correlation_id(),
        causation_id=causation_id,
        actor=actor,
        region_code=region_code,
        aggregate_id=aggregate_id,
        aggregate_version=aggregate_version,
        payload=payload.model_dump(mode="json"),
    )
