"""Local time, as the Dinas Sosial offices live it: the zone a region keeps, and the conversions between its
wall clock and the UTC instants every service stores.

Every region answers WIB (Asia/Jakarta, UTC+7 since 1964) today. ``zone_of`` is the one place that decides
a region's zone, and every conversion takes a ``zone`` (WIB unless given): giving WITA and WIT regions their own
zones is a change to ``zone_of`` and to the callers that pass ``zone_of(region_code)``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")


def zone_of(region_code: str) -> tzinfo:
    """The zone a region keeps: WIB for every region for now (Indonesia also keeps WITA and WIT)."""
    return WIB


def to_utc(moment: datetime, zone: tzinfo = WIB) -> datetime:
    """A time as given: with an offset it is kept, without one it is a wall-clock time in ``zone``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def local_date(moment: datetime, zone: tzinfo = WIB) -> date:
    """The day an instant falls on in ``zone`` (a time without an offset is taken as local already)."""
    return to_utc(moment, zone).astimezone(zone).date()


def local_today(zone: tzinfo = WIB) -> date:
    return datetime.now(zone).date()


def at_local(day: date, clock: time, zone: tzinfo = WIB) -> datetime:
    """A wall-clock time on a local day, in UTC."""
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def end_of_day(day: date, zone: tzinfo = WIB) -> datetime:
    """The instant a local day is over (the midnight that follows it), in UTC."""
    return at_local(day + timedelta(days=1), time(0, 0), zone)


def month_bounds(day: date) -> tuple[date, date]:
    """The first and the last day of the month ``day`` is in."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def month_end(day: date, zone: tzinfo = WIB) -> datetime:
    """The instant the month of ``day`` is over (local midnight after its last day), in UTC."""
    return end_of_day(month_bounds(day)[1], zone)


# Dates as a letter of the Dinas writes them.
HARI = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
BULAN = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip


def tanggal(day: date) -> str:
    """``8 Agustus 2019``."""
    return f"{day.day} {BULAN[day.month - 1]} {day.year}"


def hari_tanggal(day: date) -> str:
    """``Kamis, 8 Agustus 2019``."""
    return f"{HARI[day.weekday()]}, {tanggal(day)}"
