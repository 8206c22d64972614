"""A region's summary as district systems (GET /summary) and the dashboard read it: the roll-up, the institutions'
liveliness as of today, the pilot desa and the level below, region by region."""

from __future__ import annotations

from datetime import date
from typing import Any

from pilar_runtime.localtime import local_today, zone_of
from services.reporting import store
from services.reporting.domain.activities import (
    dormant_count,
    liveliness_view,
    months_before,
    quietest_days_end,
    recently_active_count,
)
from services.reporting.domain.breakdown import NATION, children
from services.reporting.domain.projection import NATIONAL, level
from services.reporting.domain.regions import child_regions, region_name
from services.reporting.domain.summary import pilot_desa, summary
from services.reporting.store import Db

# More than any region has below it (a kabupaten has at most a few dozen kecamatan, a kecamatan a few dozen desa).
CHILDREN_READ = 1000


async def region_summary(db: Db, code: str) -> dict[str, Any]:
    """The summary of a region ("" = national) the caller may read."""
    cutoff = months_before(local_today(zone_of(code)))
    counts = await store.counts_of(db, code)
    out = summary(code, counts)
    out["name"] = region_name(code) if code else NATION
    quietest = await store.quietest_dormant(db, code, quietest_days_end(counts, cutoff, store.DORMANT_SHOWN))
    liveliness = {
        "recent": recently_active_count(counts, cutoff),
        "dormant": dormant_count(counts, cutoff),
        "dormant_institutions": quietest,
    }
    out["activities"].update(liveliness_view(liveliness, cutoff, region_name))
    provinces = [province for province, _ in child_regions(NATIONAL)]
    out["pilot_desa"] = pilot_desa(await store.fgds_with_pilots(db, code, provinces), code, region_name)
    out["children"] = await children_of(db, code, cutoff)
    return out


async def children_of(db: Db, code: str, cutoff: date) -> list[dict[str, Any]]:
    """The regions one level below ``code`` with their figures, dormant institutions included, from their roll-ups
    read in one query. A desa has none."""
    if level(code) == 4:
        return []
    rollups = await store.rollups_below(db, code, level(code) + 1, CHILDREN_READ)
    counts = {doc["_id"]: doc.get("counts", {}) for doc in rollups}
    dormant = {child: dormant_count(found, cutoff) for child, found in counts.items()}
    return children(child_regions(code), counts, dormant)
