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
    """Regulations in force: `total`, `by_topic` and `by_month` (of adoption); revoked ones only in `revoked`."""

    total: int = Field(description="in force (adopted, not revoked)")
    by_topic: ByName
    by_month: dict[str, int] = Field(description="month of adoption → regulations in force")
    revoked: int = Field(0, description="revoked: on record, no longer in force")


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


class PilotDesa(BaseModel):
    """A desa percontohan chosen by a held FGD."""

    code: str
    name: str
    kecamatan: str = Field(description="the name of its kecamatan")
    session_id: str = Field(description="the FGD that chose it")
    topic: str | None
    held_on: str | None


class DormantInstitution(BaseModel):
    institution_id: str
    kind: str | None
    name: str | None
    region_code: str | None
    region_name: str
    last_activity_on: str | None = Field(description="the day of its last activity; null: none recorded")
    last_activity_kind: str | None
    quiet_since: str | None = Field(
        description="the later of its last activity and its formation; with neither, its registration"
    )


class ActivityCounts(BaseModel):
    by_month: dict[str, int] = Field(description="month → activities held")
    by_kind: dict[str, int] = Field(description="pelatihan, pendampingan, monev, revitalisasi → activities")
    cutoff: str = Field(description="six months before today (the region's local date)")
    active_last_6_months: int = Field(description="institutions with an activity on or after the cut-off")
    dormant: int = Field(description="active institutions quiet since before the cut-off")
    dormant_institutions: list[DormantInstitution] = Field(description="the quietest first, at most 50")


class ChildRegion(BaseModel):
    """One region of the level below the one summarised, with its own figures."""

    region_code: str
    name: str = Field(description='its name in the Kemendagri reference ("" for a code the reference does not hold)')
    institutions: int = Field(description="registered institutions, every status")
    institutions_by_kind: dict[str, int] = Field(description="kind → registered institutions")
    sessions_held: int
    participants: int = Field(description="attendance of the sessions held")
    followups_open: int
    followups_overdue: int
    dormant: int = Field(description="active institutions quiet since before the six-month cut-off")


class Summary(BaseModel):
    region_code: str = Field(description='"" = national')
    institutions: dict[str, dict[str, int]] = Field(description="kind → status → institutions")
    formations: dict[str, dict[str, int]] = Field(description="kind → month → formed")
    community_regulations: RegulationCounts
    workers: dict[str, int] = Field(description="role → active workers")
    activities: ActivityCounts
    sessions: dict[str, int] = Field(description="scheduled, held, cancelled")
    sessions_held_by_month: dict[str, int]
    participants: ParticipantCounts
    campaigns: dict[str, int] = Field(description="status → campaigns")
    followups: dict[str, int] = Field(description="open, overdue, completed, cancelled")
    notifications: NotificationCounts
    events: EventCounts
    name: str = Field(description="the region's name")
    pilot_desa: list[PilotDesa] = Field(
        default_factory=list, description="desa percontohan in the region chosen by held FGDs"
    )
    children: list[ChildRegion] = Field(
        default_factory=list,
        description="every region one level below (provinsi for the nation … desa for a kecamatan; none for a desa),"
        " in code order, zero where nothing is recorded. What a region records at its own level (a district FGD)"
        " is in its totals, not in a child",
    )


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


class HistoryEntry(BaseModel):
    """One event that shaped a record."""

    event_id: str
    event_type: str
    label: str = Field(description="what the event means, in Indonesian (its type when reporting has no label)")
    occurred_at: Timestamp
    actor: str | None = Field(description="who caused it: a user's `sub` or a service")
    aggregate_version: int
    payload: Any = Field(description="the event's payload as stored: without NIK, phone or e-mail")


class Revision(BaseModel):
    at: Timestamp = Field(description="when the fact that revised the report happened")
    reason: str
    event_id: str = Field(description="the event that revised it")


class ReportState(View):
    """A report job: ``pending``, ``done`` (with ``downloads``) or ``failed`` (with ``error``)."""

    kind: str
    title: str | None = None
    region_code: str
    period_start: str | None = None
    period_end: str | None = None
    campaign_id: str | None = None
    session_id: str | None = Field(None, description="the FGD of an fgd_minutes report")
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
    revised: bool | None = Field(None, description="a new version of a report already generated, once built")
    revision_note: str | None = Field(None, description="what the revised report says: when and why (Indonesian)")
    revisions: list[Revision] | None = Field(None, description="the facts that revised it, oldest first")


class ReplayStarted(BaseModel):
    status: str
    started_at: str


class ReplayState(View):
    status: str = Field(description="idle, running, done or failed")
    started_at: Timestamp | None = None
    started_by: str | None = None
    error: str | None = None
    events: int | None = Field(None, description="events replayed, once done")
    caught_up: int | None = Field(
        None,
        description="of those, the events stored while it ran (projected into the new projections before the switch)",
    )
    finished_at: Timestamp | None = None
    done: int | None = Field(None, description="events replayed so far")
    total: int | None = Field(None, description="events to replay")
