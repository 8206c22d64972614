"""Months as the monthly district reports reckon them: which month an event belongs to and when its reports fall
due (month ends in local time: ``pilar_runtime.localtime``)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pilar_runtime.localtime import local_date, month_bounds, month_end


def month_of(moment: datetime) -> date:
    """The first day of the local month an instant falls in."""
    return month_bounds(local_date(moment))[0]


def reports_due(month_first: date, now: datetime, grace: timedelta) -> datetime:
    """A month's reports wait ``grace`` after its end for stragglers; for a month already past (history arriving
    late), ``grace`` after now, so that they see the whole burst."""
    return max(month_end(month_first), now) + grace


def district_of(region_code: str) -> str | None:
    """The kabupaten/kota a region lies in; None above that level."""
    parts = region_code.split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 else None
