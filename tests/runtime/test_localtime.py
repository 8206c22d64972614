"""Local time: each province's zone (WIB, WITA, WIT), local days and wall-clock times, and their UTC instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pilar_runtime.localtime import (
    WIB,
    WIT,
    WIT_PROVINCES,
    WITA,
    WITA_PROVINCES,
    abbreviation,
    at_local,
    end_of_day,
    local_date,
    local_today,
    month_bounds,
    month_end,
    to_utc,
    zone_of,
)
from pilar_runtime.regions import children

FIXED_WIB = timezone(timedelta(hours=7), "WIB")


@pytest.mark.parametrize(
    ("region_code", "zone", "name"),
    [
        ("34.03", WIB, "WIB"),  # Gunungkidul, DIY
        ("35.11", WIB, "WIB"),  # Bondowoso, Jawa Timur
        ("19.05.02", WIB, "WIB"),  # Simpang Teritip, Bangka Barat
        ("11", WIB, "WIB"),  # Aceh
        ("61.01", WIB, "WIB"),  # Kalimantan Barat
        ("62", WIB, "WIB"),  # Kalimantan Tengah
        ("51.02", WITA, "WITA"),  # Tabanan, Bali
        ("52", WITA, "WITA"),
        ("53", WITA, "WITA"),
        ("63", WITA, "WITA"),
        ("64.72", WITA, "WITA"),  # Samarinda
        ("65", WITA, "WITA"),
        ("71", WITA, "WITA"),
        ("73.71", WITA, "WITA"),  # Makassar
        ("76", WITA, "WITA"),
        ("81", WIT, "WIT"),
        ("82", WIT, "WIT"),
        ("91.71", WIT, "WIT"),  # Jayapura
        ("94.71.01.1001", WIT, "WIT"),
        ("96", WIT, "WIT"),
        ("", WIB, "WIB"),  # the national scope
    ],
)
def test_a_region_keeps_its_province_zone(region_code: str, zone: object, name: str) -> None:
    assert zone_of(region_code) is zone
    assert abbreviation(zone_of(region_code)) == name


def test_plain_codes_answer_like_dotted_ones() -> None:
    assert zone_of("5102") is WITA
    assert zone_of("9471011001") is WIT


def test_every_province_of_the_reference_has_a_zone_and_the_named_ones_are_real_provinces() -> None:
    provinces = {r.code: r.name for r in children(None)}
    assert set(provinces) >= WITA_PROVINCES | WIT_PROVINCES
    assert provinces["51"] == "Bali" and provinces["73"] == "Sulawesi Selatan"
    assert provinces["81"] == "Maluku" and provinces["94"] == "Papua Tengah"
    wib = {code for code in provinces if zone_of(code) is WIB}
    assert wib == {c for c in provinces if c[0] in "123" or c in {"61", "62"}}


def test_nine_in_the_morning_is_a_different_instant_in_each_zone() -> None:
    day = date(2026, 12, 8)
    assert at_local(day, time(9, 0), zone_of("34.03")) == datetime(2026, 12, 8, 2, 0, tzinfo=UTC)
    assert at_local(day, time(9, 0), zone_of("51.02")) == datetime(2026, 12, 8, 1, 0, tzinfo=UTC)
    assert at_local(day, time(9, 0), zone_of("91.71")) == datetime(2026, 12, 8, 0, 0, tzinfo=UTC)
    assert month_end(day, WIT) == datetime(2026, 12, 31, 15, 0, tzinfo=UTC)


@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1)))
def test_the_three_zones_keep_fixed_offsets_one_hour_apart(moment: datetime) -> None:
    instant = moment.replace(tzinfo=UTC)
    offsets = [instant.astimezone(z).utcoffset() for z in (WIB, WITA, WIT)]
    assert offsets == [timedelta(hours=7), timedelta(hours=8), timedelta(hours=9)]


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
