"""Conventions every HTTP API follows: strict command bodies, ids, pages of ``{"items", "total"}``."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, ConfigDict, PlainSerializer
from pymongo.asynchronous.collection import AsyncCollection

T = TypeVar("T")


class Command(BaseModel):
    """Base of every request body: unknown fields are refused (DESIGN §7)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def new_id(prefix: str) -> str:
    """Readable, unique ids: ``ins_3f2a…`` for an institution, ``ses_…`` for a session."""
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


# Times in answers are written as they always were (``2026-08-01T02:00:00.123000+00:00``), not pydantic's ``Z``.
Timestamp = Annotated[datetime, PlainSerializer(lambda at: at.isoformat(), return_type=str, when_used="json")]


class View(BaseModel):
    """Base of every answer's model. A stored record may carry fields modelled nowhere (older or newer writers):
    they are shown as they are."""

    model_config = ConfigDict(extra="allow")


class PageParams(BaseModel):
    limit: int
    offset: int


def _page(
    limit: Annotated[int, Query(ge=1, le=500, description="items per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="items to skip")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(_page)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int


def public(document: dict[str, Any]) -> dict[str, Any]:
    """A stored document as the API shows it: ``_id`` becomes ``id``; internal fields (``_…``) are dropped."""
    out = {k: v for k, v in document.items() if not k.startswith("_")}
    out["id"] = str(document["_id"])
    return out


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
