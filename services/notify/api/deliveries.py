"""`GET /deliveries`: the delivery log with every attempt, for your region subtree. Message bodies stay inside."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from contracts.events.common import Channel
from pilar_runtime.api import PageDep, page_of
from pilar_runtime.auth import CallerDep
from pilar_runtime.service import RuntimeDep
from services.notify import store

router = APIRouter(tags=["deliveries"])

Status = Annotated[str | None, Query(pattern="^(pending|sent|failed)$")]


@router.get("/deliveries", summary="Deliveries, filtered by event, recipient, status, channel")
async def list_deliveries(
    caller: CallerDep,
    runtime: RuntimeDep,
    page: PageDep,
    event_id: Annotated[str | None, Query(max_length=200)] = None,
    recipient: Annotated[str | None, Query(max_length=2000)] = None,
    status: Status = None,
    channel: Channel | None = None,
) -> dict[str, Any]:
    query: dict[str, Any] = caller.region_filter()
    for name, value in (("event_id", event_id), ("recipient", recipient), ("status", status)):
        if value is not None:
            query[name] = value
    if channel is not None:
        query["channel"] = channel.value
    collection = runtime.mongo.db[store.DELIVERIES]
    projection = {"_message": 0, "lease_owner": 0}
    return await page_of(collection, query, page, [("created_at", -1)], projection=projection)
