"""Beranda: the user's region at a glance, from the services' APIs (reporting's summary, outreach's sessions of
this week and the open follow-ups). A panel whose service does not answer says so; the others still show."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from pilar_runtime.localtime import abbreviation, local_today, zone_of
from services.console.domain.home import FollowupLine, SessionLine, figures, open_followups, this_week
from services.console.gateway import Gateway, ServiceRefused


@dataclass
class Home:
    region_name: str
    figures: list[tuple[str, int]] = field(default_factory=list)
    sessions: list[SessionLine] = field(default_factory=list)
    followups: list[FollowupLine] = field(default_factory=list)
    notices: dict[str, str] = field(default_factory=dict)  # panel → why it shows nothing

    @property
    def overdue(self) -> list[FollowupLine]:
        return [f for f in self.followups if f.overdue]

    @property
    def due(self) -> list[FollowupLine]:
        return [f for f in self.followups if not f.overdue]


async def home(gateway: Gateway, user: dict[str, Any]) -> Home:
    region = str(user["region"]) or None
    zone = zone_of(region or "")
    answers: tuple[Any, ...] = await asyncio.gather(
        gateway.get(user, "reporting", "/summary", region=region),
        gateway.get(user, "outreach", "/sessions", status="scheduled", region=region, limit=200),
        gateway.get(user, "outreach", "/followups", status="open", region=region, limit=200),
        return_exceptions=True,
    )
    summary, sessions, followups = answers
    found = Home(region_name=summary["name"] if isinstance(summary, dict) else (region or "Nasional"))
    for panel, answer in (("summary", summary), ("sessions", sessions), ("followups", followups)):
        if isinstance(answer, ServiceRefused):
            found.notices[panel] = next(iter(answer.errors.values()))
        elif isinstance(answer, BaseException):
            raise answer
    if isinstance(summary, dict):
        found.figures = figures(summary)
    if isinstance(sessions, dict):
        found.sessions = this_week(sessions["items"], zone, abbreviation(zone), local_today(zone))
    if isinstance(followups, dict):
        found.followups = open_followups(followups["items"])
    return found
