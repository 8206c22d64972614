"""A region's summary as district systems (GET /summary) and the dashboard read it: the roll-up, the institutions'
liveliness as of today, the pilot desa and the level below, region by region."""

from __future__ import annotations

from datetime import date
from typing import Any

from pilar_runtime.localtime import local_today, zone_of
from services.reporting import store
from services.reporting.domain.activities import liveliness_view, months_before
from services.reporting.domain.breakdown import NATION, children
from services.reporting.domain.projection import level
from services.reporting.domain.regions import child_regions, region_name
from services.reporting.domain.summary import pilot_desa, summary
from services.reporting.store import Db

# More than any region has below it (a kabupaten has at most a few dozen kecamatan, a kecamatan a few dozen desa).
CHILDREN_READ = 1000


async def region_summary(db: Db, code: str) -> dict[str, Any]:
    """The summary of a region ("" = national) the caller may read."""
    cutoff = months_before(local_today(zone_of(code)))
    out = summary(code, await store.counts_of(db, code))
    out["name"] = region_name(code) if code else NATION
    out["activities"].update(liveliness_view(await store.liveliness(db, code, cutoff), cutoff, region_name))
    out["pilot_desa"] = pilot_desa(await store.fgds_with_pilots(db, code), code, region_name)
    out["children"] = await children_of(db, code, cutoff)
    return out


async def children_of(db: Db, code: str, cutoff: date) -> list[dict[str, Any]]:
    """The regions one level below ``code`` with their figures: their roll-ups in one query, their dormant
    institutions in one aggregation. A desa has none."""
    if level(code) == 4:
        return []
    rollups = await store.rollups_below(db, code, level(code) + 1, CHILDREN_READ)
    dormant = await store.dormant_by_child(db, code, cutoff)
    return children(child_regions(code), {doc["_id"]: doc.get("counts", {}) for doc in rollups}, dormant)
