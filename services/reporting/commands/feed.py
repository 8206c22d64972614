"""GET /events: a page of stored events after a cursor, waiting for the next ones when there are none yet."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from services.reporting import store
from services.reporting.parts import Arrivals, wait_for

# Another replica's commits don't wake this process: a waiting reader looks again this often for them.
LOOK_AGAIN_SECONDS = 0.5


async def events_after(
    db: store.Db,
    arrivals: Arrivals,
    scope: dict[str, Any],
    after: int,
    limit: int,
    *,
    region: str,
    event_types: list[str],
    aggregate_id: str | None,
    wait: float,
    reader: str,
) -> tuple[list[dict[str, Any]], int]:
    """The events after the cursor; with none, wait up to ``wait`` seconds for one. Nothing is held while waiting
    (each look is its own query), so a waiting reader costs the database a query per half second at most."""

    async def look() -> tuple[list[dict[str, Any]], int]:
        return await store.events_after(
            db, scope, after, limit, region=region, event_types=event_types, aggregate_id=aggregate_id
        )

    if wait <= 0:
        return await look()
    with arrivals.reader(reader):
        return await _waiting(arrivals, look, wait)


async def _waiting(
    arrivals: Arrivals, look: Callable[[], Awaitable[tuple[list[dict[str, Any]], int]]], wait: float
) -> tuple[list[dict[str, Any]], int]:
    clock = asyncio.get_running_loop()
    deadline = clock.time() + wait
    while True:
        ticket = arrivals.ticket()
        items, total = await look()
        left = deadline - clock.time()
        if items or left <= 0:
            return items, total
        await wait_for(ticket, min(left, LOOK_AGAIN_SECONDS))
