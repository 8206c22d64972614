"""The registry's events, built from the stored documents (full current state, so consumers keep copies)."""

from __future__ import annotations

from typing import Any

from contracts.envelope import Envelope
from contracts.events.registry import (
    BoardChanged,
    CommunityRegulationAdopted,
    CommunityRegulationAmended,
    CommunityRegulationRevoked,
    InstitutionActivityRecorded,
    InstitutionFormed,
    InstitutionRegistered,
    InstitutionStatusChanged,
    InstitutionUpdated,
    WorkerRegistered,
    WorkerUpdated,
)
from pilar_runtime.events import new_event
from services.registry.domain.institutions import board_members


def _envelope(event_type: str, payload: Any, document: dict[str, Any], actor: str) -> Envelope:
    return new_event(
        event_type,
        payload,
        actor=actor,
        region_code=document["region_code"],
        aggregate_id=str(document["_id"]),
        aggregate_version=int(document["version"]),
    )


def _institution_state(document: dict[str, Any]) -> dict[str, Any]:
    return {
        "institution_id": document["_id"],
        "kind": document["kind"],
        "name": document["name"],
        "region_code": document["region_code"],
        "address": document.get("address"),
        "status": document["status"],
        "legal_basis": document.get("legal_basis"),
        "board": board_members(document["board"]),
        "member_ids": document["member_ids"],
        "issues": document["issues"],
    }


def institution_registered(document: dict[str, Any], actor: str) -> Envelope:
    payload = InstitutionRegistered(**_institution_state(document))
    return _envelope("institution_registered", payload, document, actor)


def institution_updated(document: dict[str, Any], actor: str) -> Envelope:
    payload = InstitutionUpdated(**_institution_state(document))
    return _envelope("institution_updated", payload, document, actor)


def institution_formed(event_type: str, document: dict[str, Any], actor: str) -> Envelope:
    formation = document["formation"]
    payload = InstitutionFormed(
        institution_id=document["_id"],
        kind=document["kind"],
        name=document["name"],
        region_code=document["region_code"],
        formed_on=formation["formed_on"],
        board=board_members(document["board"]),
        member_ids=document["member_ids"],
        session_id=formation.get("session_id"),
        campaign_id=formation.get("campaign_id"),
    )
    return _envelope(event_type, payload, document, actor)


def board_changed(document: dict[str, Any], actor: str) -> Envelope:
    payload = BoardChanged(
        institution_id=document["_id"], kind=document["kind"], board=board_members(document["board"])
    )
    return _envelope("board_changed", payload, document, actor)


def status_changed(document: dict[str, Any], previous: str, actor: str) -> Envelope:
    payload = InstitutionStatusChanged(
        institution_id=document["_id"], kind=document["kind"], previous_status=previous, status=document["status"]
    )
    return _envelope("institution_status_changed", payload, document, actor)


def _regulation_state(document: dict[str, Any]) -> dict[str, Any]:
    return {
        "regulation_id": document["_id"],
        "title": document["title"],
        "region_code": document["region_code"],
        "topics": document["topics"],
        "adopted_on": document["adopted_on"],
    }


def regulation_adopted(document: dict[str, Any], actor: str) -> Envelope:
    payload = CommunityRegulationAdopted(**_regulation_state(document), pokja_id=document.get("pokja_id"))
    return _envelope("community_regulation_adopted", payload, document, actor)


def regulation_amended(document: dict[str, Any], changed: list[str], reason: str | None, actor: str) -> Envelope:
    payload = CommunityRegulationAmended(
        **_regulation_state(document), pokja_id=document.get("pokja_id"), changed_fields=changed, reason=reason
    )
    return _envelope("community_regulation_amended", payload, document, actor)


def regulation_revoked(document: dict[str, Any], actor: str) -> Envelope:
    revocation = document["revocation"]
    payload = CommunityRegulationRevoked(
        **_regulation_state(document), revoked_on=revocation["revoked_on"], reason=revocation["reason"]
    )
    return _envelope("community_regulation_revoked", payload, document, actor)


def _worker_state(document: dict[str, Any]) -> dict[str, Any]:
    # The NIK stays in the registry: other services need the contact, not the identity number.
    return {
        "worker_id": document["_id"],
        "role": document["role"],
        "name": document["name"],
        "region_code": document["region_code"],
        "phone": document.get("phone"),
        "email": document.get("email"),
        "active": document["active"],
    }


def worker_registered(document: dict[str, Any], actor: str) -> Envelope:
    return _envelope("worker_registered", WorkerRegistered(**_worker_state(document)), document, actor)


def worker_updated(document: dict[str, Any], actor: str) -> Envelope:
    return _envelope("worker_updated", WorkerUpdated(**_worker_state(document)), document, actor)


def institution_activity_recorded(activity: dict[str, Any], institution: dict[str, Any], actor: str) -> Envelope:
    """An activity is a step in the institution's own history: the institution's id and (new) version."""
    payload = InstitutionActivityRecorded(
        activity_id=activity["_id"],
        institution_id=institution["_id"],
        kind=institution["kind"],
        name=institution["name"],
        region_code=institution["region_code"],
        activity_kind=activity["kind"],
        held_on=activity["date"],
        participants=activity["participants"],
        notes=activity.get("notes"),
    )
    return _envelope("institution_activity_recorded", payload, institution, actor)
