"""A region broken down by the level below it (nation → provinsi → kabupaten/kota → kecamatan → desa): the figures
of each child, read from the children's own roll-ups, for the summary's ``children`` and the dashboard's table."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pilar_runtime.regions import ancestors, in_region

# The figures every child carries, in the order the dashboard shows them.
FIGURES = ("institutions", "sessions_held", "participants", "followups_open", "followups_overdue", "dormant")
# What the level below a region is called, and the level itself, by the region's level (0 = the nation).
CHILD_LEVEL = {0: "Provinsi", 1: "Kabupaten/Kota", 2: "Kecamatan", 3: "Desa/Kelurahan"}
LEVEL = {0: "nasional", 1: "provinsi", 2: "kabupaten/kota", 3: "kecamatan", 4: "desa/kelurahan"}
NATION = "Indonesia"


def figures(counts: Mapping[str, int], dormant: int) -> dict[str, Any]:
    """One region's figures from its roll-up counters and its dormant institutions (counted at read time)."""
    by_kind: Counter[str] = Counter()
    for name, n in counts.items():
        if n and name.startswith("institutions|"):  # institutions|<kind>|<status>
            by_kind[name.split("|", 2)[1]] += n
    return {
        "institutions": sum(by_kind.values()),
        "institutions_by_kind": dict(sorted(by_kind.items())),
        "sessions_held": counts.get("sessions|held", 0),
        "participants": counts.get("participants|total", 0),
        "followups_open": counts.get("followups|open", 0),
        "followups_overdue": counts.get("followups|overdue", 0),
        "dormant": dormant,
    }


def summary_figures(s: Mapping[str, Any]) -> dict[str, int]:
    """A region's own figures, as its children carry theirs, from its summary (``domain.summary``)."""
    return {
        "institutions": sum(n for by_status in s["institutions"].values() for n in by_status.values()),
        "sessions_held": s["sessions"]["held"],
        "participants": s["participants"]["total"],
        "followups_open": s["followups"]["open"],
        "followups_overdue": s["followups"]["overdue"],
        "dormant": s["activities"]["dormant"],
    }


def children(
    reference: Iterable[tuple[str, str]], counts: Mapping[str, Mapping[str, int]], dormant: Mapping[str, int]
) -> list[dict[str, Any]]:
    """Every child of the reference (zeros where nothing is recorded, so a quiet kecamatan shows as one), plus any
    child the roll-ups hold that the reference does not, in code order."""
    names = dict(reference)
    codes = sorted(set(names) | set(counts) | set(dormant))
    return [
        {"region_code": code, "name": names.get(code, ""), **figures(counts.get(code, {}), dormant.get(code, 0))}
        for code in codes
    ]


def held_above(total: Mapping[str, Any], rows: Iterable[Mapping[str, Any]]) -> dict[str, int] | None:
    """What the region records at its own level, in none of its children (a district FGD, its narasumber): the
    total less the children's sum; None when the children account for everything."""
    rows = list(rows)
    rest = {name: int(total[name]) - sum(int(row[name]) for row in rows) for name in FIGURES}
    return rest if any(rest.values()) else None


def trail(region: str, scope: str, name_of: Callable[[str], str]) -> list[dict[str, str]]:
    """The way down to ``region`` (a breadcrumb), from the nation or from the caller's scope when it has one: code
    and name of each step."""
    steps = ["", *ancestors(region)] if region else [""]
    return [
        {"region_code": code, "name": (name_of(code) or code) if code else NATION}
        for code in steps
        if in_region(code, scope)
    ]
