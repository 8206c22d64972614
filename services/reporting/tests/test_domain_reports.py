"""Report contents and renderings without I/O: the same inputs give the same bytes, whatever their order."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import pytest

from services.reporting.domain.facts import Fact
from services.reporting.domain.regions import region_name
from services.reporting.domain.summary import campaign_progress
from services.reporting.reports.boards import board_complete
from services.reporting.reports.campaign import campaign_report
from services.reporting.reports.monthly import monthly_district
from services.reporting.reports.psks import psks_handover
from services.reporting.reports.render import neutralise, to_csv, to_pdf, to_xlsx
from services.reporting.tests.scenario import CAMPAIGN, scenario
from services.reporting.tests.test_domain import live


def _campaign(seed: int) -> bytes:
    states, _ = live([Fact.of(e) for e in scenario()])
    sessions = [s for s in states["sessions"].values() if s.get("campaign_id") == CAMPAIGN]
    institutions = list(states["institutions"].values())
    random.Random(seed).shuffle(sessions)
    random.Random(seed).shuffle(institutions)
    report = campaign_report(states["campaigns"][CAMPAIGN], sessions, institutions, states["workers"], region_name)
    return to_xlsx(report) + to_pdf(report) + to_csv(report)


def test_the_same_inputs_give_byte_identical_files() -> None:
    assert _campaign(1) == _campaign(2)


def test_psks_handover_keeps_only_the_period_and_flags_incomplete_boards() -> None:
    pokja = {"_id": "a", "kind": "POKJA", "name": "Pokja Simpang", "region_code": "19.05.02.2001"}
    board = [{"role": "ketua", "name": "A"}, {"role": "sekretaris", "name": "B"}]
    old = {"_id": "b", "kind": "WKSBM", "name": "WKSBM Lama", "region_code": "19.05.02.2002"}
    institutions: list[dict[str, Any]] = [
        {**pokja, "formed_on": "2021-03-02", "status": "active", "board": board},
        {**old, "formed_on": "2020-01-01", "status": "active", "board": []},
    ]
    report = psks_handover("19.05.02", date(2021, 3, 1), date(2021, 3, 31), institutions, region_name)
    assert [row[1] for row in report.tables[0].rows] == ["Pokja Simpang"]
    assert report.tables[0].rows[0][-1] == "Tidak"
    assert not board_complete(institutions[0]["board"])
    assert "%PDF" in to_pdf(report)[:8].decode("latin-1")


def test_monthly_district_groups_by_kecamatan() -> None:
    states, _ = live([Fact.of(e) for e in scenario()])
    report = monthly_district(
        "34.03",
        date(2019, 8, 1),
        date(2019, 8, 31),
        states["sessions"].values(),
        states["institutions"].values(),
        states["regulations"].values(),
        region_name,
    )
    assert report.tables[0].rows == [
        ["34.03.01", "Wonosari", 5, 200, 5, 1],
        ["34.03.02", "Nglipar", 5, 200, 5, 0],
    ]
    assert dict(report.meta)["Sesi dilaksanakan"] == 10
    csv_text = to_csv(report).decode()
    assert "# Per kecamatan" in csv_text and "34.03.01,Wonosari,5,200,5,1" in csv_text


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("  =1+1", "'  =1+1"),  # spreadsheets skip the leading spaces
        ("WKSBM Kampung", "WKSBM Kampung"),
        ("Ketua: Sutrisno", "Ketua: Sutrisno"),
        ("-", "-"),  # the reports' "none": a lone character makes no formula
        ("", ""),
        (40, 40),  # numbers we write stay numbers
        (-3, -3),
        (12.5, 12.5),
    ],
)
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(cell: str | int | float, written: str) -> None:
    assert neutralise(cell) == written


def test_a_campaign_report_and_progress_keep_to_the_campaigns_region_whatever_they_are_given() -> None:
    states, _ = live([Fact.of(e) for e in scenario()])
    campaign = states["campaigns"][CAMPAIGN]
    sessions = [s for s in states["sessions"].values() if s.get("campaign_id") == CAMPAIGN]
    institutions = list(states["institutions"].values())
    stray_session = {**sessions[0], "_id": "ses_stray", "region_code": "35.11.01.2001", "participants": 99}
    stray_wksbm = {**institutions[0], "_id": "ins_stray", "region_code": "35.11.01.2001", "campaign_id": CAMPAIGN}
    stray_wksbm["board"] = [{"role": "ketua", "name": "Ketua Bondowoso"}]
    stray_worker = {"_id": "wrk_bdw", "name": "Narasumber Bondowoso", "region_code": "35.11"}
    workers = {**states["workers"], "wrk_bdw": stray_worker}
    stray_session["narasumber_present_ids"] = ["wrk_bdw"]
    clean = campaign_report(campaign, sessions, institutions, states["workers"], region_name)
    given = campaign_report(campaign, [*sessions, stray_session], [*institutions, stray_wksbm], workers, region_name)
    assert given == clean
    assert campaign_progress(campaign, [*sessions, stray_session], [*institutions, stray_wksbm]) == campaign_progress(
        campaign, sessions, institutions
    )
