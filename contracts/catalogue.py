"""The catalogue: which payload model each `event_type` carries, and who produces it."""

from __future__ import annotations

from dataclasses import dataclass

from contracts.envelope import Envelope, EventPayload
from contracts.events import console, notify, outreach, registry, reporting


@dataclass(frozen=True)
class EventType:
    name: str
    producer: str
    model: type[EventPayload]
    summary: str


def _types(producer: str, *entries: tuple[str, type[EventPayload], str]) -> dict[str, EventType]:
    return {name: EventType(name, producer, model, summary) for name, model, summary in entries}


EVENT_TYPES: dict[str, EventType] = {
    **_types(
        "registry",
        (
            "institution_registered",
            registry.InstitutionRegistered,
            "an institution of any kind is registered",
        ),
        (
            "institution_updated",
            registry.InstitutionUpdated,
            "an institution's name, address, legal basis, members or issues changed",
        ),
        ("WKSBM_formed", registry.InstitutionFormed, "a WKSBM's formation is complete (board and members)"),
        ("Pokja_formed", registry.InstitutionFormed, "a village Pokja's formation is complete"),
        ("KarangTaruna_formed", registry.InstitutionFormed, "a Karang Taruna's formation is complete"),
        ("board_changed", registry.BoardChanged, "the kepengurusan of an institution changed"),
        ("institution_status_changed", registry.InstitutionStatusChanged, "active / inactive / dissolved"),
        (
            "institution_activity_recorded",
            registry.InstitutionActivityRecorded,
            "an activity of an institution after its formation: pelatihan, pendampingan, monev, revitalisasi",
        ),
        (
            "community_regulation_adopted",
            registry.CommunityRegulationAdopted,
            "a village adopted a community regulation",
        ),
        ("worker_registered", registry.WorkerRegistered, "a PSKS person is registered"),
        ("worker_updated", registry.WorkerUpdated, "a PSKS person's data changed"),
    ),
    # --- corrections of community regulations ---------------------------------------------------------------
    **_types(
        "registry",
        (
            "community_regulation_amended",
            registry.CommunityRegulationAmended,
            "a community regulation's title, topics, adoption date, Pokja or description was corrected",
        ),
        (
            "community_regulation_revoked",
            registry.CommunityRegulationRevoked,
            "a community regulation was revoked: no longer in force, still on record",
        ),
    ),
    # --- end of corrections of community regulations ---------------------------------------------------------
    **_types(
        "outreach",
        ("campaign_planned", outreach.CampaignPlanned, "an outreach programme is planned"),
        (
            "campaign_completed",
            outreach.CampaignCompleted,
            "every session is held/cancelled or the period ended",
        ),
        ("session_scheduled", outreach.SessionScheduled, "a penyuluhan or FGD session is placed"),
        ("session_rescheduled", outreach.SessionRescheduled, "a session is moved"),
        ("session_cancelled", outreach.SessionCancelled, "a session is dropped"),
        ("penyuluhan_held", outreach.SessionHeld, "a penyuluhan took place"),
        ("FGD_held", outreach.SessionHeld, "an FGD took place, with pilot desa and follow-ups"),
        ("followup_assigned", outreach.FollowupAssigned, "a tindak-lanjut action was assigned"),
        ("followup_completed", outreach.FollowupCompleted, "a tindak-lanjut action was done"),
        ("followup_overdue", outreach.FollowupOverdue, "a tindak-lanjut action passed its due date open"),
    ),
    # Corrections in outreach: amended reports, changed and cancelled campaigns ---------------------------------
    **_types(
        "outreach",
        ("session_report_amended", outreach.SessionReportAmended, "a held session's report was corrected"),
        ("campaign_updated", outreach.CampaignUpdated, "a planned campaign's period, desa, people or targets changed"),
        ("campaign_cancelled", outreach.CampaignCancelled, "a planned campaign was cancelled with its open sessions"),
        ("followup_cancelled", outreach.FollowupCancelled, "an amended report dropped an open tindak-lanjut action"),
    ),
    # End of corrections in outreach ----------------------------------------------------------------------------
    **_types(
        "notify",
        ("notification_sent", notify.NotificationSent, "a delivery succeeded"),
        ("notification_failed", notify.NotificationFailed, "a delivery gave up after its retries"),
    ),
    **_types(
        "reporting",
        ("report_generated", reporting.ReportGenerated, "a report file exists"),
    ),
    **_types(
        "console",
        ("user_created", console.UserCreated, "a staff account was created"),
        ("user_role_changed", console.UserRoleChanged, "a staff account's role or region changed"),
        ("user_deactivated", console.UserDeactivated, "a staff account was deactivated: its sessions ended"),
    ),
}

FORMED_EVENT_BY_KIND = {
    "WKSBM": "WKSBM_formed",
    "POKJA": "Pokja_formed",
    "KARANG_TARUNA": "KarangTaruna_formed",
}


def payload_model(event_type: str) -> type[EventPayload] | None:
    entry = EVENT_TYPES.get(event_type)
    return entry.model if entry else None


def routing_key(event_type: str) -> str:
    return f"{EVENT_TYPES[event_type].producer}.{event_type}"


def typed_payload(envelope: Envelope) -> EventPayload:
    """The envelope's payload as its catalogue model; raises KeyError / ValidationError when it is not one."""
    entry = EVENT_TYPES[envelope.event_type]
    return entry.model.model_validate(envelope.payload)
