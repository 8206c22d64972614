"""What every registry route shares: region-scoped list filters, pages, time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import HTTPException
from pymongo.asynchronous.collection import AsyncCollection

from pilar_runtime.api import PageParams, public
from pilar_runtime.auth import Caller, in_region, region_filter
from pilar_runtime.regions import normalize


def now() -> datetime:
    return datetime.now(UTC)


def scope_filter(caller: Caller, region: str | None) -> dict[str, Any]:
    """The caller's subtree, narrowed to ``region`` when asked; 403 for a region wholly outside the scope."""
    scope = caller.region_filter()
    if not region:
        return scope
    wanted = normalize(region)
    if not (caller.can_see(wanted) or in_region(caller.region, wanted)):
        raise HTTPException(403, f"region {wanted} is outside your scope ({caller.region or 'all'})")
    return {"$and": [scope, region_filter(wanted)]} if scope else region_filter(wanted)


async def page_of(
    collection: AsyncCollection[dict[str, Any]], query: dict[str, Any], page: PageParams, sort: list[tuple[str, int]]
) -> dict[str, Any]:
    total = await collection.count_documents(query)
    cursor = collection.find(query).sort(sort).skip(page.offset).limit(page.limit)
    return {"items": [public(d) async for d in cursor], "total": total}
