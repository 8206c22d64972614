"""Kampanye, sesi and tindak lanjut through outreach's API (campaigns, the schedule and its preview, sessions,
reports, follow-ups) and registry's workers (their names; who may be booked or own a follow-up)."""

from __future__ import annotations

import asyncio
from typing import Any

from pilar_runtime.localtime import abbreviation, zone_of
from services.console.domain.kampanye import Calendar, SessionRow, calendar, fill, session_rows
from services.console.gateway import Gateway, ServiceRefused

User = dict[str, Any]


async def workers(gateway: Gateway, user: User) -> list[dict[str, Any]]:
    """The active workers of the user's region; none when registry does not answer (the pages say so)."""
    try:
        found = await gateway.get(user, "registry", "/workers", active="true", region=user["region"] or None, limit=500)
    except ServiceRefused:
        return []
    return list(found["items"])


async def names(gateway: Gateway, user: User) -> dict[str, str]:
    return {w["id"]: w["name"] for w in await workers(gateway, user)}


def zone_name(region: str) -> tuple[Any, str]:
    zone = zone_of(region)
    return zone, abbreviation(zone)


async def rows(gateway: Gateway, user: User, sessions: list[dict[str, Any]], region: str) -> list[SessionRow]:
    zone, short = zone_name(region)
    return session_rows(sessions, zone, short, await names(gateway, user))


async def campaigns(gateway: Gateway, user: User) -> list[dict[str, Any]]:
    found = await gateway.get(user, "outreach", "/campaigns", region=user["region"] or None, limit=200)
    return list(found["items"])


async def plan(gateway: Gateway, user: User, body: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = await gateway.send(user, "POST", "outreach", "/campaigns", body)
    return found


async def campaign(gateway: Gateway, user: User, campaign_id: str) -> tuple[dict[str, Any], list[SessionRow]]:
    found, sessions = await asyncio.gather(
        gateway.get(user, "outreach", f"/campaigns/{campaign_id}"),
        gateway.get(user, "outreach", "/sessions", campaign_id=campaign_id, limit=500),
    )
    return found, await rows(gateway, user, sessions["items"], found["region_code"])


async def preview(gateway: Gateway, user: User, campaign: dict[str, Any]) -> list[SessionRow]:
    """What the auto-scheduler would place: nothing is stored nor announced yet."""
    planned = await gateway.send(user, "POST", "outreach", f"/campaigns/{campaign['id']}/schedule/preview")
    return await rows(gateway, user, planned["items"], campaign["region_code"])


async def confirm(gateway: Gateway, user: User, campaign_id: str) -> int:
    placed = await gateway.send(user, "POST", "outreach", f"/campaigns/{campaign_id}/schedule")
    return int(placed["total"])


async def month_or_week(gateway: Gateway, user: User, view: str, anchor: Any) -> Calendar:
    grid = calendar(view, anchor)
    region = user["region"] or ""
    sessions = await gateway.get(user, "outreach", "/sessions", region=region or None, limit=500)
    return fill(grid, await rows(gateway, user, sessions["items"], region))


async def session(gateway: Gateway, user: User, session_id: str) -> tuple[dict[str, Any], SessionRow]:
    found = await gateway.get(user, "outreach", f"/sessions/{session_id}")
    return found, (await rows(gateway, user, [found], found["region_code"]))[0]


async def sessions(gateway: Gateway, user: User, status: str | None) -> list[SessionRow]:
    region = user["region"] or ""
    found = await gateway.get(user, "outreach", "/sessions", status=status, region=region or None, limit=500)
    return await rows(gateway, user, found["items"], region)


async def move(gateway: Gateway, user: User, session_id: str, body: dict[str, str]) -> None:
    await gateway.send(user, "PATCH", "outreach", f"/sessions/{session_id}", body)


async def cancel(gateway: Gateway, user: User, session_id: str, reason: str) -> None:
    await gateway.send(user, "POST", "outreach", f"/sessions/{session_id}/cancel", {"reason": reason or None})


async def report(gateway: Gateway, user: User, session_id: str, body: dict[str, Any]) -> None:
    await gateway.send(user, "POST", "outreach", f"/sessions/{session_id}/report", body)


async def amend(gateway: Gateway, user: User, session_id: str, body: dict[str, Any]) -> None:
    await gateway.send(user, "PUT", "outreach", f"/sessions/{session_id}/report", body)


async def session_followups(gateway: Gateway, user: User, session_id: str) -> list[dict[str, Any]]:
    found = await gateway.get(user, "outreach", "/followups", session_id=session_id, limit=500)
    return sorted(found["items"], key=lambda f: (f["due_on"], f["action"]))


async def followups(gateway: Gateway, user: User, query: dict[str, str]) -> list[dict[str, Any]]:
    region = user["region"] or None
    found = await gateway.get(user, "outreach", "/followups", region=region, limit=500, **query)
    return sorted(found["items"], key=lambda f: (f["due_on"], f["action"]))


async def complete(gateway: Gateway, user: User, followup_id: str) -> None:
    await gateway.send(user, "POST", "outreach", f"/followups/{followup_id}/complete", {})
