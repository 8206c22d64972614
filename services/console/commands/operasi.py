"""Operasi: every service's status and reporting's replay (rebuild the projections from the stored events)."""

from __future__ import annotations

import asyncio
from typing import Any

from services.console.domain.operasi import SERVICES, ServiceLine, service_line
from services.console.gateway import Gateway, ServiceRefused


async def statuses(gateway: Gateway, user: dict[str, Any]) -> list[ServiceLine]:
    """Each service's status; one that does not answer (or refuses) says so, the others still show."""
    answers = await asyncio.gather(
        *(gateway.get(user, service, "/admin/status") for service in SERVICES), return_exceptions=True
    )
    lines = []
    for service, answer in zip(SERVICES, answers, strict=True):
        if isinstance(answer, ServiceRefused):
            lines.append(service_line(service, None, next(iter(answer.errors.values()))))
        elif isinstance(answer, BaseException):
            raise answer
        else:
            lines.append(service_line(service, answer))
    return lines


async def replay_state(gateway: Gateway, user: dict[str, Any]) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = await gateway.get(user, "reporting", "/admin/replay")
    except ServiceRefused:
        return None
    return found


async def start_replay(gateway: Gateway, user: dict[str, Any]) -> None:
    await gateway.send(user, "POST", "reporting", "/admin/replay")
