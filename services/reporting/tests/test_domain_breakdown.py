"""The level below a region and how the dashboard writes it, pure: figures per child, what a region records at its
own level, the breadcrumb, Indonesian numbers and months, bar lengths."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from services.reporting.dashboard.view import angka, bulan, by_kind, hari, monthly_table, share, waktu
from services.reporting.domain.breakdown import FIGURES, children, figures, held_above, trail
from services.reporting.domain.regions import child_regions, region_name

NGLIPAR = {
    "institutions|WKSBM|active": 5,
    "institutions|POKJA|initiated": 1,
    "institutions|WKSBM|inactive": 0,
    "formations|WKSBM|2019-08": 5,
    "sessions|held": 5,
    "sessions|cancelled": 1,
    "participants|total": 200,
    "followups|open": 2,
    "followups|overdue": 1,
}


def test_a_regions_figures_come_from_its_counters() -> None:
    assert figures(NGLIPAR, dormant=4) == {
        "institutions": 6,
        "institutions_by_kind": {"POKJA": 1, "WKSBM": 5},
        "sessions_held": 5,
        "participants": 200,
        "followups_open": 2,
        "followups_overdue": 1,
        "dormant": 4,
    }


def test_every_child_of_the_reference_is_listed_zero_where_nothing_is_recorded() -> None:
    rows = children(child_regions("34.03"), {"34.03.02": NGLIPAR, "34.03.99": {"sessions|held": 1}}, {"34.03.02": 4})
    assert len(rows) == 19  # Gunungkidul's 18 kecamatan and a code the reference does not hold
    by_code = {row["region_code"]: row for row in rows}
    assert by_code["34.03.01"]["name"] == "Wonosari" and all(by_code["34.03.01"][f] == 0 for f in FIGURES)
    assert by_code["34.03.02"]["name"] == "Nglipar" and by_code["34.03.02"]["dormant"] == 4
    assert by_code["34.03.99"] == {**figures({"sessions|held": 1}, 0), "region_code": "34.03.99", "name": ""}
    assert [row["region_code"] for row in rows] == sorted(by_code)


def test_what_the_region_records_itself_is_its_total_less_its_children() -> None:
    rows = [figures(NGLIPAR, 4), figures({"sessions|held": 2, "participants|total": 80}, 0)]
    total = {"institutions": 6, "sessions_held": 8, "participants": 400, "followups_open": 2}
    assert held_above({**total, "followups_overdue": 2, "dormant": 4}, rows) == {
        "institutions": 0,
        "sessions_held": 1,
        "participants": 120,
        "followups_open": 0,
        "followups_overdue": 1,
        "dormant": 0,
    }
    assert (
        held_above({**total, "sessions_held": 7, "participants": 280, "followups_overdue": 1, "dormant": 4}, rows)
        is None
    )


def test_the_breadcrumb_starts_at_the_nation_or_at_the_callers_scope() -> None:
    assert trail("34.03.01", "", region_name) == [
        {"region_code": "", "name": "Indonesia"},
        {"region_code": "34", "name": "Daerah Istimewa Yogyakarta"},
        {"region_code": "34.03", "name": "Kabupaten Gunungkidul"},
        {"region_code": "34.03.01", "name": "Wonosari"},
    ]
    assert [step["name"] for step in trail("34.03.01", "34.03", region_name)] == ["Kabupaten Gunungkidul", "Wonosari"]
    assert trail("", "", region_name) == [{"region_code": "", "name": "Indonesia"}]
    assert child_regions("34.03.01.2001") == ()  # a desa has nothing below it


def test_numbers_months_and_kinds_as_written_in_indonesian() -> None:
    assert [angka(n) for n in (0, 7, 999, 1000, 1234567)] == ["0", "7", "999", "1.000", "1.234.567"]
    assert bulan("2019-08") == "Agustus 2019" and bulan("2020-01") == "Januari 2020"
    assert hari("2019-08-08") == "8 Agustus 2019" and hari(None) == "-" and hari("kemarin") == "kemarin"
    # The store keeps UTC (read back without a zone): each event on its region's clock.
    assert waktu(datetime(2019, 8, 8, 2, 0), "34.03.01.2001") == "8 Agustus 2019 09.00 WIB"
    assert waktu(datetime(2020, 8, 31, 16, 30, tzinfo=UTC), "51.02") == "1 September 2020 00.30 WITA"
    assert by_kind({"WKSBM": 5, "KARANG_TARUNA": 2, "LKS": 0}) == "Karang Taruna 2 · WKSBM 5"


@given(st.integers(0, 10**6), st.integers(0, 10**6))
def test_a_bar_is_a_whole_percentage_of_its_columns_largest_and_never_hides_a_count(value: int, extra: int) -> None:
    top = value + extra
    width = share(value, top)
    assert isinstance(width, int) and 0 <= width <= 100
    assert (width > 0) == (value > 0)
    assert share(top, top) == (100 if top else 0)


def test_months_with_formations_or_sessions_become_rows_with_their_bars_scale() -> None:
    table = monthly_table({"WKSBM": {"2019-08": 10}, "POKJA": {"2019-09": 2}}, {"2019-08": 10, "2019-10": 1})
    assert table["columns"] == [
        ("formed-POKJA", "Pokja terbentuk"),
        ("formed-WKSBM", "WKSBM terbentuk"),
        ("sessions-held", "Sesi dilaksanakan"),
    ]
    assert [(row["label"], row["formed-WKSBM"], row["sessions-held"]) for row in table["rows"]] == [
        ("Agustus 2019", 10, 10),
        ("September 2019", 0, 0),
        ("Oktober 2019", 0, 1),
    ]
    assert table["tops"] == {"formed-POKJA": 2, "formed-WKSBM": 10, "sessions-held": 10}
