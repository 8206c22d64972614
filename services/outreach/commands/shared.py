"""What the commands of every aggregate share: the actor of timers, a record the caller
may see, and the people a session may book."""

from __future__ import annotations

from typing import Any

import structlog

from pilar_runtime.auth import Caller
from pilar_runtime.errors import Conflict, Unprocessable
from pilar_runtime.mongo import Mongo, UnitOfWork
from services.outreach import store
from services.outreach.domain.rules import people_region

log = structlog.get_logger("outreach")

SERVICE_ACTOR = "outreach"  # who acts when a timer fires


async def visible(mongo: Mongo, collection: str, item_id: str, caller: Caller, what: str) -> dict[str, Any]:
    """The record asked for by id: 404 when there is none, 403 when it lies outside the caller's region."""
    return caller.visible(await store.read(mongo, collection, item_id), what, item_id)


async def require_workers(uow: UnitOfWork, ids: list[str], field: str, area: tuple[str, str]) -> None:
    """422 unless every id is a known, active worker; 409 ``people_in_region`` unless each serves the ``area``
    (region, what it is the region of): another region's people are not this office's to book."""
    serving = await store.active_workers(uow, ids)
    missing = sorted(set(ids) - set(serving))
    if missing:
        raise Unprocessable(f"{field}: unknown or inactive worker(s): {', '.join(missing)}")
    region, where = area
    broken = people_region(serving, region, field, where)
    if broken:
        log.info("booking.people_outside_region", field=field, region_code=region)
        raise Conflict(broken.as_detail())


def people_area(session: dict[str, Any], campaign: dict[str, Any] | None) -> tuple[str, str]:
    """Where a session's people must serve: its campaign's region (the pools the scheduler draws from), or the
    session's own region when it stands alone."""
    if campaign is not None:
        return campaign["region_code"], "campaign"
    return session["region_code"], "session"
