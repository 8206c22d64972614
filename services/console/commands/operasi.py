"""Operasi: every service's status, its dead letters (listed and redriven by the service itself) and reporting's
replay (rebuild the projections from the stored events)."""

from __future__ import annotations

import asyncio
from typing import Any

from services.console.domain.operasi import SERVICES, DeadLetterList, ServiceLine, dead_letter_list, service_line
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


async def dead_letters(gateway: Gateway, user: dict[str, Any]) -> list[DeadLetterList]:
    """The dead letters of each service that answers (the status table already says which does not)."""
    answers = await asyncio.gather(
        *(gateway.get(user, service, "/admin/dead-letters") for service in SERVICES), return_exceptions=True
    )
    lists = []
    for service, answer in zip(SERVICES, answers, strict=True):
        if isinstance(answer, ServiceRefused):
            continue
        if isinstance(answer, BaseException):
            raise answer
        lists.append(dead_letter_list(service, answer))
    return lists


async def redrive(gateway: Gateway, user: dict[str, Any], service: str, message_id: str | None) -> dict[str, int]:
    """One dead letter (or, without ``message_id``, all) handled again by its service; the counts it answers."""
    body = {"message_ids": [message_id]} if message_id else {}
    counts: dict[str, int] = await gateway.send(user, "POST", service, "/admin/dead-letters/redrive", body)
    return counts
