"""Lembaga: the registry's institutions through its API — list, register, the kepengurusan, the penumbuhan citing
outreach's campaign and session, members, status — and the record's history from reporting."""

from __future__ import annotations

import asyncio
from typing import Any

from services.console.domain.lembaga import (
    activity_lines,
    campaign_choices,
    campaigns_of_desa,
    day,
    history_lines,
    session_choices,
)
from services.console.gateway import Gateway, ServiceRefused

User = dict[str, Any]


async def institutions(gateway: Gateway, user: User, filters: dict[str, str], offset: int) -> dict[str, Any]:
    found: dict[str, Any] = await gateway.get(user, "registry", "/institutions", limit=50, offset=offset, **filters)
    return found


async def institution(gateway: Gateway, user: User, institution_id: str) -> dict[str, Any]:
    found: dict[str, Any] = await gateway.get(user, "registry", f"/institutions/{institution_id}")
    return found


async def record(gateway: Gateway, user: User, institution_id: str) -> dict[str, Any]:
    """The institution, its region's name, its members, its activities, what its penumbuhan cites and its history
    (a history reporting cannot give yet leaves a notice instead)."""
    found = await institution(gateway, user, institution_id)
    formation = found.get("formation") or {}
    answers: tuple[Any, ...] = await asyncio.gather(
        gateway.get(user, "registry", f"/regions/{found['region_code']}"),
        gateway.get(user, "reporting", f"/institutions/{institution_id}/history", limit=200),
        asyncio.gather(*(member_name(gateway, user, m) for m in found["member_ids"])),
        gateway.get(user, "registry", f"/institutions/{institution_id}/activities", limit=100),
        cited(gateway, user, "campaigns", formation.get("campaign_id")),
        cited(gateway, user, "sessions", formation.get("session_id")),
        return_exceptions=True,
    )
    region, history, members, activities, campaign, session = answers
    return {
        "activities": activity_lines(activities["items"]) if isinstance(activities, dict) else [],
        "cited_campaign": campaign_choices([campaign])[0]["label"] if isinstance(campaign, dict) else "",
        "cited_session": session_choices([session])[0]["label"] if isinstance(session, dict) else "",
        "institution": found,
        "region": region if isinstance(region, dict) else {"name": found["region_code"]},
        "history": history_lines(history["items"], found["region_code"]) if isinstance(history, dict) else [],
        "history_notice": next(iter(history.errors.values())) if isinstance(history, ServiceRefused) else "",
        "members": members if isinstance(members, list) else [],
        "formed_on": day(found["formation"]["formed_on"]) if found.get("formation") else "",
    }


async def cited(gateway: Gateway, user: User, what: str, ref_id: str | None) -> dict[str, Any] | None:
    found: dict[str, Any] | None = await gateway.get(user, "outreach", f"/{what}/{ref_id}") if ref_id else None
    return found


async def member_name(gateway: Gateway, user: User, member_id: str) -> dict[str, str]:
    try:
        found = await institution(gateway, user, member_id)
    except ServiceRefused:
        return {"id": member_id, "name": member_id, "kind": ""}
    return {"id": member_id, "name": found["name"], "kind": found["kind"]}


async def register(gateway: Gateway, user: User, body: dict[str, Any]) -> dict[str, Any]:
    created: dict[str, Any] = await gateway.send(user, "POST", "registry", "/institutions", body)
    return created


async def replace_board(gateway: Gateway, user: User, institution_id: str, board: list[dict[str, str]]) -> None:
    await gateway.send(user, "PUT", "registry", f"/institutions/{institution_id}/board", {"board": board})


async def change(gateway: Gateway, user: User, institution_id: str, changes: dict[str, Any]) -> None:
    await gateway.send(user, "PATCH", "registry", f"/institutions/{institution_id}", changes)


async def form(gateway: Gateway, user: User, institution_id: str, formation: dict[str, str]) -> None:
    await gateway.send(user, "POST", "registry", f"/institutions/{institution_id}/formation", formation)


async def citable(gateway: Gateway, user: User, desa: str) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The campaigns that visit the desa and the sessions held or scheduled in it, from outreach."""
    campaigns, sessions = await asyncio.gather(
        gateway.get(user, "outreach", "/campaigns", limit=500),
        gateway.get(user, "outreach", "/sessions", region=desa, limit=500),
    )
    return campaign_choices(campaigns_of_desa(campaigns["items"], desa)), session_choices(sessions["items"])


async def candidates(gateway: Gateway, user: User, found: dict[str, Any]) -> list[dict[str, Any]]:
    """The institutions of the same desa that may be members: not WKSBM, not dissolved, not itself."""
    page = await gateway.get(user, "registry", "/institutions", region=found["region_code"], limit=500)
    return [i for i in page["items"] if i["id"] != found["id"] and i["kind"] != "WKSBM" and i["status"] != "dissolved"]
