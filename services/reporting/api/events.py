"""GET /events: the event store, in arrival order, from a cursor (district systems backfill and follow with it)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from pilar_runtime.auth import CallerDep
from pilar_runtime.service import RuntimeDep
from services.reporting.api.schemas import EventPage
from services.reporting.api.scope import known_region
from services.reporting.commands import feed
from services.reporting.domain.feed import MAX_WAIT_SECONDS, event_types
from services.reporting.parts import PartsDep

router = APIRouter(tags=["events"])


def _public(doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if k not in ("_id", "regions")}
    out["seq"] = doc["_id"]
    return out


@router.get(
    "/events",
    response_model=EventPage,
    summary="Stored events after a cursor, oldest first, within your region",
    responses={429: {"description": "This caller already has 4 long polls (`wait`) under way"}},
)
async def list_events(
    runtime: RuntimeDep,
    parts: PartsDep,
    caller: CallerDep,
    type: Annotated[
        str | None,
        Query(max_length=1000, description="event types, comma-separated, e.g. WKSBM_formed,FGD_held; default: all"),
    ] = None,
    aggregate_id: Annotated[str | None, Query(max_length=200, description="only this record's events")] = None,
    region: Annotated[
        str | None, Query(description="Kemendagri code; default: the caller's region (one outside it: no events)")
    ] = None,
    after: Annotated[int, Query(ge=0, description="cursor: the `seq` of the last event already read")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    wait: Annotated[
        float,
        Query(
            ge=0,
            le=MAX_WAIT_SECONDS,
            description="seconds to wait for an event when none follows the cursor yet (long poll); 0: answer at once",
        ),
    ] = 0,
) -> dict[str, Any]:
    types = event_types(type)
    code = known_region(region)
    items, total = await feed.events_after(
        runtime.mongo.db,
        parts.arrivals,
        caller.list_filter(code),
        after,
        limit,
        region=code or caller.region,
        event_types=types,
        aggregate_id=aggregate_id,
        wait=wait,
        reader=caller.sub,
    )
    return {"items": [_public(doc) for doc in items], "total": total, "next": items[-1]["_id"] if items else after}
