"""The models every API shares, without FastAPI (domain code uses them): strict command bodies, readable ids,
answer views, timestamps and pages of ``{"items", "total"}``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, PlainSerializer

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


def public(document: dict[str, Any]) -> dict[str, Any]:
    """A stored document as the API shows it: ``_id`` becomes ``id``; internal fields (``_…``) are dropped."""
    out = {k: v for k, v in document.items() if not k.startswith("_")}
    out["id"] = str(document["_id"])
    return out


class PageParams(BaseModel):
    limit: int
    offset: int


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
