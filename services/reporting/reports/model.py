"""What a report holds, as plain data: a title, key figures, tables and one chart. Renderers read nothing else.

Everything is sorted and every timestamp comes from the events, so the same inputs give the same report.
Headings are in Indonesian: the operators read these reports as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from pilar_runtime.localtime import local_date, zone_of
from pilar_runtime.regions import in_region

Doc = Mapping[str, Any]
Cell = str | int | float
RegionName = Callable[[str], str]


@dataclass(frozen=True)
class Table:
    name: str  # also the XLSX sheet name (≤ 31 characters)
    columns: list[str]
    rows: list[list[Cell]]


@dataclass(frozen=True)
class Chart:
    title: str
    labels: list[str]
    series: dict[str, list[int]]


@dataclass(frozen=True)
class Report:
    kind: str
    title: str
    region_code: str
    period_start: date | None
    period_end: date | None
    as_of: str  # the time of the newest fact the report reflects, ISO 8601
    meta: list[tuple[str, Cell]]
    tables: list[Table] = field(default_factory=list)
    chart: Chart | None = None
    # A new version of a report already generated, built because facts changed after it (see domain.revisions):
    # the renderers print the note under the title.
    revised: bool = False
    revision_note: str | None = None
    # The narrative the report opens with (reports/narrative.py), one paragraph per item.
    narrative: list[str] = field(default_factory=list)
    # The kabupaten/kota the report belongs to ("Kabupaten Gunungkidul"), for the place of its signature.
    district: str = ""


def yes_no(flag: bool | None) -> str:
    return "-" if flag is None else ("Ya" if flag else "Tidak")


def lies_in(record: Doc, region_code: str) -> bool:
    """A report shows its subject's region subtree only, whatever records it is given."""
    return in_region(str(record.get("region_code")), region_code)


def between(value: object, start: date, end: date) -> bool:
    """Is a date (or ISO date text) inside the period, both ends included?"""
    return start.isoformat() <= str(value) <= end.isoformat()


def period_label(start: date, end: date) -> str:
    return f"{start.isoformat()} s.d. {end.isoformat()}"


def day_of(moment: str, region_code: str) -> date:
    """The day an ISO date or time falls on in the region's local time (a bare time is UTC, as stored)."""
    if "T" not in moment:
        return date.fromisoformat(moment[:10])
    parsed = datetime.fromisoformat(moment)
    return local_date(parsed.replace(tzinfo=parsed.tzinfo or UTC), zone_of(region_code))
