"""Time as the Dinas Sosial lives it: Asia/Jakarta (WIB) days, Indonesian public holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

WIB = ZoneInfo("Asia/Jakarta")


def to_utc(moment: datetime) -> datetime:
    """An ISO time as given: with an offset it is kept, without one it means Asia/Jakarta."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=WIB)
    return moment.astimezone(UTC)


def jakarta_day(moment: datetime) -> date:
    return to_utc(moment).astimezone(WIB).date()


def at_wib(day: date, clock: time) -> datetime:
    """A wall-clock time on a Jakarta day, in UTC."""
    return datetime.combine(day, clock, tzinfo=WIB).astimezone(UTC)


def end_of_day(day: date) -> datetime:
    """The instant a Jakarta day is over (midnight WIB that follows it), in UTC."""
    return at_wib(day + timedelta(days=1), time(0, 0))


@lru_cache(maxsize=64)
def _holidays(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("ID", years=year))


def holiday_name(day: date) -> str | None:
    """The Indonesian public holiday on that day, if any (the `holidays` package, country ID)."""
    return _holidays(day.year).get(day)


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
