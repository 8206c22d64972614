"""The Kemendagri region reference, read-only. Reference data: any authenticated caller may read it all."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from pilar_runtime.auth import CallerDep
from pilar_runtime.errors import NotFound
from pilar_runtime.models import Page
from pilar_runtime.regions import Level, Region, ancestors, children, lookup, require
from services.registry.api import schemas

router = APIRouter(prefix="/regions", tags=["regions"])


def _view(region: Region) -> dict[str, Any]:
    return {
        "code": region.code,
        "name": region.name,
        "level": Level(region.level).name.lower(),
        "type": region.type,
        "path": region.path,
        "parent_code": region.parent_code,
    }


@router.get(
    "/{code}",
    response_model=schemas.RegionWithParents,
    summary="One region: name, level, type and its parents",
    response_model_exclude_unset=True,
)
async def get_region(code: str, _caller: CallerDep) -> dict[str, Any]:
    region = lookup(code)
    if region is None:
        raise NotFound(f"region code {code} does not exist in the Kemendagri 2025 reference")
    parents = [lookup(parent) for parent in ancestors(region.code)[:-1]]
    return {**_view(region), "parents": [_view(p) for p in parents if p is not None]}


@router.get(
    "",
    response_model=Page[schemas.Region],
    summary="The children of a region (the provinces without `parent`)",
    response_model_exclude_unset=True,
)
async def list_regions(
    _caller: CallerDep,
    parent: Annotated[str | None, Query(description="dotted or plain code; omit for the provinces")] = None,
) -> dict[str, Any]:
    if parent:
        parent = require(parent)
    items = [_view(r) for r in children(parent)]
    return {"items": items, "total": len(items)}
