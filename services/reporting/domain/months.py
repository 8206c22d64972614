"""Months as the monthly district reports reckon them: which month an event belongs to and when its reports fall
due. A district's month ends at its own local midnight (WIB, WITA or WIT: ``pilar_runtime.localtime``), so each
zone has its own month-end timer."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

from pilar_runtime.localtime import WIB, abbreviation, local_date, month_bounds, month_end, zone_of


def month_of(moment: datetime, zone: tzinfo = WIB) -> date:
    """The first day of the local month an instant falls in."""
    return month_bounds(local_date(moment, zone))[0]


def reports_due(month_first: date, now: datetime, grace: timedelta, zone: tzinfo = WIB) -> datetime:
    """A month's reports wait ``grace`` after its end in ``zone`` for stragglers; for a month already past (history
    arriving late), ``grace`` after now, so that they see the whole burst."""
    return max(month_end(month_first, zone), now) + grace


def timer_moves(due_at: datetime, wanted: datetime, grace: timedelta) -> bool:
    """Whether a pending month-end timer moves to ``wanted``: only by more than a tenth of the grace, so a burst of
    history does not rewrite it with every batch (replicas would contend for it); the reports still wait at least
    nine tenths of the grace after the last event."""
    return due_at < wanted - grace / 10


def district_of(region_code: str) -> str | None:
    """The kabupaten/kota a region lies in; None above that level."""
    parts = region_code.split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 else None


def zone_name(district: str) -> str:
    """WIB, WITA or WIT: the zone whose month-end timer orders a district's monthly report."""
    return abbreviation(zone_of(district))


def month_timer_key(month: str, zone: str) -> str:
    """``2019-08`` for WIB (the key every month's timer had before zones), ``2019-08|WITA`` for the others."""
    return month if zone == "WIB" else f"{month}|{zone}"
