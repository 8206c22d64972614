"""GET /events: the event store, in arrival order, from a cursor (district systems backfill with it)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from pilar_runtime.auth import CallerDep
from pilar_runtime.service import RuntimeDep
from services.reporting import store
from services.reporting.api.schemas import EventPage
from services.reporting.api.scope import known_region

router = APIRouter(tags=["events"])


def _public(doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if k not in ("_id", "regions")}
    out["seq"] = doc["_id"]
    return out


@router.get(
    "/events", response_model=EventPage, summary="Stored events after a cursor, oldest first, within your region"
)
async def list_events(
    runtime: RuntimeDep,
    caller: CallerDep,
    type: Annotated[str | None, Query(max_length=100, description="event_type, e.g. WKSBM_formed")] = None,
    region: Annotated[
        str | None, Query(description="Kemendagri code; default: the caller's region (one outside it: no events)")
    ] = None,
    after: Annotated[int, Query(ge=0, description="cursor: the `seq` of the last event already read")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    code = known_region(region)
    items, total = await store.events_after(
        runtime.mongo.db, caller.list_filter(code), after, limit, region=code or caller.region, event_type=type
    )
    return {"items": [_public(doc) for doc in items], "total": total, "next": items[-1]["_id"] if items else after}
