"""What every HTTP API does alike: page parameters, pages read from a collection, documents as answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Query
from pymongo.asynchronous.collection import AsyncCollection

from pilar_runtime.models import PageParams, public


def _page(
    limit: Annotated[int, Query(ge=1, le=500, description="items per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="items to skip")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(_page)]


async def page_of(
    collection: AsyncCollection[dict[str, Any]],
    query: dict[str, Any],
    page: PageParams,
    sort: list[tuple[str, int]],
    *,
    projection: dict[str, Any] | None = None,
    show: Callable[[dict[str, Any]], dict[str, Any]] = public,
) -> dict[str, Any]:
    """One page of a collection as the API answers lists: ``{"items": [...], "total": n}``."""
    total = await collection.count_documents(query)
    cursor = collection.find(query, projection).sort(sort).skip(page.offset).limit(page.limit)
    return {"items": [show(d) async for d in cursor], "total": total}
