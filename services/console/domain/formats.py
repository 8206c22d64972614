"""Indonesian formats for the pages: numbers with a dot for thousands ("1.234"), dates as the offices write them,
and the week Beranda shows."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pilar_runtime.localtime import hari_tanggal


def angka(value: int | float) -> str:
    """``1234`` → ``1.234``; ``1234.5`` → ``1.234,5``."""
    if isinstance(value, float) and not value.is_integer():
        whole, _, fraction = f"{value:,.1f}".partition(".")
        return f"{whole.replace(',', '.')},{fraction}"
    return f"{int(value):,}".replace(",", ".")


def week_of(day: date) -> tuple[date, date]:
    """Monday to Sunday of the week ``day`` lies in."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def in_week(moment: datetime, zone: ZoneInfo, today: date) -> bool:
    first, last = week_of(today)
    return first <= moment.astimezone(zone).date() <= last


def waktu(moment: datetime, zone: ZoneInfo, zone_name: str) -> str:
    """``Kamis, 8 Agustus 2019 pukul 09.00 WIB``."""
    local = moment.astimezone(zone)
    return f"{hari_tanggal(local.date())} pukul {local:%H.%M} {zone_name}"


def hari(day: date) -> str:
    return hari_tanggal(day)
