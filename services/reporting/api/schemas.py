"""The shapes reporting's HTTP API answers with (the OpenAPI shows them).

Stored documents may carry fields a model does not name: those models allow extra fields, so answers stay as
they were.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from pilar_runtime.models import Timestamp, View

ByName = dict[str, Any]  # counters keyed by a name that comes from the data (a category, a topic, an event type)


class RegulationCounts(BaseModel):
    total: int
    by_topic: ByName
    by_month: dict[str, int]


class ParticipantCounts(BaseModel):
    total: int
    by_category: ByName


class NotificationCounts(BaseModel):
    sent: int
    failed: int
    by_channel: ByName = Field(description="channel → {sent, failed}")


class EventCounts(BaseModel):
    total: int
    by_type: ByName
    by_month: dict[str, int]
    unknown: ByName = Field(description="event types reporting does not know, stored and counted apart")


class Summary(BaseModel):
    region_code: str = Field(description='"" = national')
    institutions: dict[str, dict[str, int]] = Field(description="kind → status → institutions")
    formations: dict[str, dict[str, int]] = Field(description="kind → month → formed")
    community_regulations: RegulationCounts
    workers: dict[str, int] = Field(description="role → active workers")
    sessions: dict[str, int] = Field(description="scheduled, held, cancelled")
    sessions_held_by_month: dict[str, int]
    participants: ParticipantCounts
    campaigns: dict[str, int] = Field(description="status → campaigns")
    followups: dict[str, int] = Field(description="open, overdue, completed, cancelled")
    notifications: NotificationCounts
    events: EventCounts
    name: str = Field(description="the region's name")


class Target(BaseModel):
    target: int | None
    achieved: int
    met: bool | None
    institution_ids: list[str]


class PerSessionTarget(BaseModel):
    target: int | None
    achieved: int | float  # 0 before any session is held


class Targets(BaseModel):
    new_wksbm: Target
    new_pokja: Target
    participants_per_session: PerSessionTarget


class CampaignProgress(BaseModel):
    campaign_id: str
    name: str | None
    region_code: str | None
    status: str | None
    start_date: str | None
    end_date: str | None
    desa_codes: list[str]
    sessions: dict[str, int] = Field(description="scheduled, held, cancelled")
    participants: ParticipantCounts
    targets: Targets


class StoredEvent(View):
    event_id: str
    event_type: str
    routing_key: str
    producer: str
    schema_version: int
    occurred_at: Timestamp
    received_at: Timestamp
    correlation_id: str | None
    causation_id: str | None
    actor: str | None
    region_code: str
    aggregate_id: str
    aggregate_version: int
    payload: Any = Field(description="the event's payload, without personal data")
    seq: int = Field(description="arrival sequence: the cursor")


class EventPage(BaseModel):
    items: list[StoredEvent]
    total: int = Field(description="events matching after the cursor")
    next: int = Field(description="cursor for the next page")


class ReportState(View):
    """A report job: ``pending``, ``done`` (with ``downloads``) or ``failed`` (with ``error``)."""

    kind: str
    title: str | None = None
    region_code: str
    period_start: str | None = None
    period_end: str | None = None
    campaign_id: str | None = None
    trigger_event_id: str | None = None
    requested_by: str | None = None
    created_at: Timestamp | None = None
    status: str
    formats: list[str] = Field(default_factory=list)
    error: str | None = None
    generated_at: Timestamp | None = None
    as_of: str | None = None
    id: str
    downloads: dict[str, str] | None = Field(None, description="format → download path, once done")
    revisions: list[dict[str, str]] | None = Field(
        None, description="corrections since first generated, oldest first: {on, reason} (the report says so)"
    )


class ReplayStarted(BaseModel):
    status: str
    started_at: str


class ReplayState(View):
    status: str = Field(description="idle, running, done or failed")
    started_at: Timestamp | None = None
    started_by: str | None = None
    error: str | None = None
    events: int | None = Field(None, description="events replayed, once done")
    finished_at: Timestamp | None = None
    done: int | None = Field(None, description="events replayed so far")
    total: int | None = Field(None, description="events to replay")
