"""`GET /asyncapi.json` and `GET /asyncapi`: the published event catalogue — the AMQP feed and the webhooks — as
the checked-in document and as a page rendered from it (no script, nothing from a CDN)."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from pydantic import BaseModel, ConfigDict, Field

from contracts.generate import ASYNCAPI_PATH
from services.reporting.domain.catalogue import catalogue_page

templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"])
)
_TICKS = re.compile(r"`([^`]+)`")


def _code(text: str) -> Markup:
    """The document's descriptions write names in backticks: shown as code, everything else escaped."""
    return Markup(_TICKS.sub(lambda m: f"<code>{m.group(1)}</code>", str(escape(text))))


templates.filters["code"] = _code
router = APIRouter(tags=["catalogue"])
# The same for every caller and changed only by a release: caches may keep it for an hour.
PUBLIC = {"Cache-Control": "public, max-age=3600"}


class AsyncApiDocument(BaseModel):
    """An AsyncAPI 3.0 document (https://www.asyncapi.com/docs/reference/specification/v3.0.0)."""

    model_config = ConfigDict(extra="allow")

    asyncapi: str = Field(examples=["3.0.0"])
    info: dict[str, Any]
    servers: dict[str, Any]
    channels: dict[str, Any]
    operations: dict[str, Any]
    components: dict[str, Any]


@cache
def _document() -> bytes:
    return ASYNCAPI_PATH.read_bytes()


@cache
def _page() -> str:
    return templates.get_template("asyncapi.html").render(page=catalogue_page(json.loads(_document())))


@router.get(
    "/asyncapi.json",
    response_model=AsyncApiDocument,
    summary="The AsyncAPI document: every event on the AMQP feed and the webhooks, with their schemas",
)
async def asyncapi_document() -> Response:
    return Response(_document(), media_type="application/json", headers=PUBLIC)


@router.get(
    "/asyncapi",
    response_class=HTMLResponse,
    summary="The AsyncAPI document as a page: channels, messages and their fields",
)
async def asyncapi_page() -> HTMLResponse:
    return HTMLResponse(_page(), headers=PUBLIC)
