"""The Indonesian public holidays and collective leave days (local days and their conversions are
``pilar_runtime.localtime``)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _holidays(year: int) -> dict[date, str]:
    # In Indonesian: the names reach people in rule messages ("17 Agustus: Hari Kemerdekaan Republik Indonesia").
    return dict(holidays.country_holidays("ID", years=year, language="id"))


@lru_cache(maxsize=64)
def _cuti_bersama(year: int) -> dict[date, str]:
    # The government category is the SKB of the ministers on cuti bersama; its Indonesian names say which.
    return dict(holidays.country_holidays("ID", years=year, categories=("government",), language="id"))


def holiday_name(day: date) -> str | None:
    """The Indonesian public holiday on that day, if any (the `holidays` package, country ID)."""
    return _holidays(day.year).get(day)


def cuti_bersama_name(day: date) -> str | None:
    """The collective leave day (cuti bersama) on that day, if any, e.g. "Cuti Bersama Hari Raya Idul Fitri"
    (the `holidays` package, country ID, government category)."""
    return _cuti_bersama(day.year).get(day)


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
