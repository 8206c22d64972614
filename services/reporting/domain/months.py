"""Months as the monthly district reports reckon them: which month an event belongs to, when a month ends, and
when its reports fall due."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

# Month end is reckoned in Western Indonesian Time, where most Dinas Sosial offices are.
WIB = timezone(timedelta(hours=7), "WIB")


def month_bounds(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def month_end(month_first: date) -> datetime:
    """The first instant after the month (WIB), in UTC."""
    _, last = month_bounds(month_first)
    return datetime.combine(last + timedelta(days=1), time(0, 0), tzinfo=WIB).astimezone(UTC)


def month_of(moment: datetime) -> date:
    """The first day of the month (WIB) an instant falls in."""
    return month_bounds(moment.astimezone(WIB).date())[0]


def reports_due(month_first: date, now: datetime, grace: timedelta) -> datetime:
    """A month's reports wait ``grace`` after its end for stragglers; for a month already past (history arriving
    late), ``grace`` after now, so that they see the whole burst."""
    return max(month_end(month_first), now) + grace


def district_of(region_code: str) -> str | None:
    """The kabupaten/kota a region lies in; None above that level."""
    parts = region_code.split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 else None
