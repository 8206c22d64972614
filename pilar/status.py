"""`pilar status`: every service's /admin/status on one screen, and whether anything needs an operator."""

from __future__ import annotations

import asyncio
from typing import Any

from rich.table import Table

from pilar import state
from pilar.operator import ServiceAway, admin_client, call

# An outbox whose oldest unpublished event is older than this has a relay that does not keep up (or is stuck).
OUTBOX_AGE_LIMIT_SECONDS = 60.0


async def _one(service: str) -> dict[str, Any]:
    try:
        async with admin_client(service, "pilar-status", timeout=5) as client:
            answer: dict[str, Any] = (await call(client, "GET", "/admin/status")).json()
            return answer
    except ServiceAway as exc:
        return {"service": service, "down": str(exc)}


async def gather_status() -> list[dict[str, Any]]:
    return list(await asyncio.gather(*(_one(service) for service in state.SERVICES)))


def troubles(status: dict[str, Any]) -> list[str]:
    """What is wrong with one service's status, in words; empty when it is healthy."""
    if "down" in status:
        return [status["down"]]
    found = [f"{part} does not answer" for part in ("broker", "mongo") if not status.get(part)]
    queue = status.get("queue") or {}
    if queue.get("dead_letters"):
        found.append(f"{queue['dead_letters']} dead letter(s): `pilar dlq list {status['service']}`")
    age = (status.get("outbox") or {}).get("oldest_age_seconds")
    if age is not None and age > OUTBOX_AGE_LIMIT_SECONDS:
        found.append(f"oldest unpublished event is {age:.0f} s old")
    return found


def _cell(value: Any) -> str:
    return "–" if value is None else str(value)


def render(statuses: list[dict[str, Any]]) -> Table:
    table = Table(
        "service", "health", "queue", "in flight", "DLQ", "outbox", "timers", "more", "trouble", title="Pilar status"
    )
    for status in statuses:
        wrong = troubles(status)
        if "down" in status:
            table.add_row(status["service"], "[bold red]down", *["–"] * 6, "\n".join(wrong))
            continue
        queue, outbox = status.get("queue"), status.get("outbox")
        age = outbox and outbox.get("oldest_age_seconds")
        table.add_row(
            status["service"],
            "[green]ready" if status["ready"] else "[bold red]not ready",
            f"{queue['waiting']} waiting, {queue['consumers']} consumer(s)" if queue else "–",
            _cell(queue and queue["in_flight"]),
            _cell(queue and queue["dead_letters"]),
            f"{outbox['backlog']}" + (f" (oldest {age:.0f} s)" if age is not None else "") if outbox else "–",
            _cell(status.get("pending_timers")),
            "\n".join(f"{k}: {_cell(v)}" for k, v in (status.get("extras") or {}).items()),
            "[bold red]" + "\n".join(wrong) if wrong else "[green]ok",
        )
    return table
