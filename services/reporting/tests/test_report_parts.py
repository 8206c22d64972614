"""The small pure pieces reports and report jobs are built from."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from pilar_runtime.localtime import month_end
from services.reporting.domain.months import district_of, month_of, reports_due
from services.reporting.domain.reports import missing_sessions, narasumber_ids
from services.reporting.reports.campaign import narasumber_attendance, per_desa, target_rows, workers_of_region
from services.reporting.reports.monthly import per_kecamatan

CAMPAIGN = {
    "_id": "cmp",
    "region_code": "34.03",
    "desa_codes": ["34.03.01.2001", "34.03.01.2002", "35.11.01.2001"],
    "narasumber_ids": ["wrk_a", "wrk_z"],
    "reported_sessions": {"planned": 3, "held": 2, "cancelled": 1},
}
HELD = {"_id": "s1", "status": "held", "region_code": "34.03.01.2001", "participants": 30}
SESSIONS = [
    HELD | {"narasumber_present_ids": ["wrk_a", "wrk_b"]},
    {"_id": "s2", "status": "held", "region_code": "34.03.01.2003", "participants": 5, "narasumber_ids": ["wrk_c"]},
    {"_id": "s3", "status": "cancelled", "region_code": "34.03.01.2002", "participants": 0},
]


def test_per_desa_counts_participants_of_held_sessions_and_wksbm_formed() -> None:
    formed = [{"region_code": "34.03.01.2002", "kind": "WKSBM"}, {"region_code": "34.03.01.2002", "kind": "POKJA"}]
    assert per_desa(CAMPAIGN, SESSIONS, formed) == {
        "34.03.01.2001": (30, 0),
        "34.03.01.2002": (0, 1),
        "34.03.01.2003": (5, 0),  # held outside the planned desa: still shown
    }  # the planned desa in another region is left out


def test_narasumber_attendance_counts_held_sessions_and_keeps_the_campaigns_own() -> None:
    assert narasumber_attendance(CAMPAIGN, SESSIONS) == {"wrk_a": 1, "wrk_b": 1, "wrk_z": 0}


def test_workers_of_the_region_or_above_it_are_named() -> None:
    workers = {"a": {"region_code": "34"}, "b": {"region_code": "34.03.01"}, "c": {"region_code": "35.11"}}
    assert sorted(workers_of_region(workers, "34.03")) == ["a", "b"]


def test_target_rows_show_targets_set_or_achieved() -> None:
    targets = {
        "new_wksbm": {"target": 2, "achieved": 3, "met": True},
        "new_pokja": {"target": None, "achieved": 0, "met": None},
        "participants_per_session": {"target": 40, "achieved": 17.5},
    }
    assert target_rows(targets) == [["WKSBM baru", 2, 3, "Ya"], ["Peserta per sesi", 40, 17.5, "Tidak"]]


def test_per_kecamatan_sums_by_kecamatan_in_code_order() -> None:
    regulation = {"region_code": "34.03.01.2002"}
    formed = {"region_code": "34.03.02.2001"}
    assert per_kecamatan(SESSIONS[:2], [formed], [regulation]) == {"34.03.01": [2, 35, 0, 1], "34.03.02": [0, 0, 1, 0]}


def test_a_campaign_report_waits_for_the_sessions_outreach_counted() -> None:
    assert missing_sessions(CAMPAIGN, SESSIONS) == 0
    assert missing_sessions(CAMPAIGN, SESSIONS[:1]) == 2
    assert narasumber_ids(CAMPAIGN, SESSIONS) == {"wrk_a", "wrk_b", "wrk_c", "wrk_z"}


def test_months_are_reckoned_in_wib() -> None:
    late_on_the_31st = datetime(2019, 8, 31, 17, 30, tzinfo=UTC)  # 1 September, 00:30 WIB
    assert month_of(late_on_the_31st) == date(2019, 9, 1)
    assert month_end(date(2019, 8, 1)) == datetime(2019, 8, 31, 17, 0, tzinfo=UTC)
    grace = timedelta(minutes=15)
    august = date(2019, 8, 1)
    assert reports_due(august, datetime(2019, 8, 10, tzinfo=UTC), grace) == month_end(august) + grace
    now = datetime(2026, 1, 1, tzinfo=UTC)  # a month long past waits for the burst it belongs to
    assert reports_due(august, now, grace) == now + grace
    assert district_of("34.03.01.2001") == "34.03" and district_of("34") is None
