"""Local time: WIB days and wall-clock times, and their UTC instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

from pilar_runtime.localtime import (
    WIB,
    at_local,
    end_of_day,
    local_date,
    local_today,
    month_bounds,
    month_end,
    to_utc,
    zone_of,
)

FIXED_WIB = timezone(timedelta(hours=7), "WIB")


def test_every_region_keeps_wib_for_now() -> None:
    assert zone_of("34.03") is WIB
    assert zone_of("94.71.01.1001") is WIB  # Papua keeps WIT, given its zone by a later change


def test_asia_jakarta_is_seven_hours_ahead_of_utc_for_every_date_the_system_handles() -> None:
    # The services used a fixed +07:00 offset before: the same instants since 1964.
    for year in (1965, 1999, 2019, 2027, 2060):
        for month in (1, 6, 12):
            moment = datetime(year, month, 15, 12, 0, tzinfo=UTC)
            assert moment.astimezone(WIB).utcoffset() == timedelta(hours=7)
            assert moment.astimezone(WIB).replace(tzinfo=None) == moment.astimezone(FIXED_WIB).replace(tzinfo=None)


def test_a_time_without_an_offset_is_local_and_one_with_an_offset_is_kept() -> None:
    assert to_utc(datetime(2019, 8, 8, 9, 0)) == datetime(2019, 8, 8, 2, 0, tzinfo=UTC)
    assert to_utc(datetime(2019, 8, 8, 9, 0, tzinfo=UTC)) == datetime(2019, 8, 8, 9, 0, tzinfo=UTC)
    assert to_utc(datetime(2019, 8, 8, 9, 0), FIXED_WIB).tzinfo is UTC


def test_the_local_day_of_an_instant_is_the_wib_day_not_the_utc_day() -> None:
    assert local_date(datetime(2019, 8, 8, 16, 59, tzinfo=UTC)) == date(2019, 8, 8)
    assert local_date(datetime(2019, 8, 8, 17, 0, tzinfo=UTC)) == date(2019, 8, 9)
    assert local_date(datetime(2019, 8, 9, 0, 30)) == date(2019, 8, 9)  # already local


def test_today_is_the_wib_day_of_now() -> None:
    before = datetime.now(UTC).astimezone(FIXED_WIB).date()
    assert local_today() in (before, before + timedelta(days=1))


def test_wall_clock_times_and_the_end_of_a_local_day_in_utc() -> None:
    assert at_local(date(2019, 8, 8), time(9, 0)) == datetime(2019, 8, 8, 2, 0, tzinfo=UTC)
    assert at_local(date(2019, 8, 8), time(0, 0)) == datetime(2019, 8, 7, 17, 0, tzinfo=UTC)
    assert end_of_day(date(2019, 8, 15)) == datetime(2019, 8, 15, 17, 0, tzinfo=UTC)
    assert at_local(date(2019, 8, 8), time(9, 0)).tzinfo is UTC


def test_month_bounds_and_the_end_of_a_month() -> None:
    assert month_bounds(date(2024, 2, 10)) == (date(2024, 2, 1), date(2024, 2, 29))
    assert month_bounds(date(2019, 12, 31)) == (date(2019, 12, 1), date(2019, 12, 31))
    assert month_end(date(2019, 12, 1)) == datetime(2019, 12, 31, 17, 0, tzinfo=UTC)  # 1 Jan 00:00 WIB
    assert month_end(date(2019, 8, 20)) == month_end(date(2019, 8, 1))


def test_a_zone_can_be_given() -> None:
    wit = timezone(timedelta(hours=9), "WIT")
    assert at_local(date(2019, 8, 8), time(9, 0), wit) == datetime(2019, 8, 8, 0, 0, tzinfo=UTC)
    assert local_date(datetime(2019, 8, 8, 15, 0, tzinfo=UTC), wit) == date(2019, 8, 9)
    assert end_of_day(date(2019, 8, 8), wit) == datetime(2019, 8, 8, 15, 0, tzinfo=UTC)
