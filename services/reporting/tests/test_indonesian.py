"""Reports speak Indonesian only: every report kind, built from records in every state a record can be in, rendered
to XLSX, PDF and CSV, holds none of the codes the events carry (``held``, ``completed``, ``overdue``, …)."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

import openpyxl
import pytest

from services.reporting.domain.facts import Fact
from services.reporting.domain.regions import region_name
from services.reporting.reports.campaign import campaign_report
from services.reporting.reports.fgd import fgd_minutes
from services.reporting.reports.model import Report
from services.reporting.reports.monthly import monthly_district
from services.reporting.reports.psks import psks_handover
from services.reporting.reports.render import to_csv, to_pdf, to_xlsx
from services.reporting.tests.pdftext import pdf_text
from services.reporting.tests.scenario import CAMPAIGN, scenario
from services.reporting.tests.test_domain import live
from services.reporting.tests.test_registry_export import registry_export

ENGLISH = re.compile(
    r"\b(completed|held|planned|cancelled|canceled|scheduled|open|done|overdue|active|inactive|dissolved|initiated"
    r"|pending|failed|true|false|none|yes)\b",
    re.IGNORECASE,
)


def english_words(text: str) -> list[str]:
    return sorted({m.lower() for m in ENGLISH.findall(text)})


def texts(report: Report) -> dict[str, str]:
    """What a person reads in each format: every XLSX cell, the PDF's text, the CSV."""
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(report)))
    cells = [str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row if c]
    return {"xlsx": "\n".join(cells), "pdf": pdf_text(to_pdf(report)), "csv": to_csv(report).decode()}


def _every_state() -> dict[str, Any]:
    """The scenario's records, with every status a session, campaign, follow-up and institution can take."""
    states, _ = live([Fact.of(e) for e in scenario()])
    sessions = [s for s in states["sessions"].values() if s.get("campaign_id") == CAMPAIGN]
    sessions.append({**sessions[0], "_id": "ses_waiting", "status": "scheduled", "held_on": None})
    institutions = list(states["institutions"].values())
    for institution, status in zip(institutions, ("initiated", "inactive", "dissolved"), strict=False):
        institution["status"] = status
    followups = list(states["followups"].values())
    followups += [{**followups[0], "_id": f"fup_{s}", "status": s} for s in ("open", "cancelled")]
    return {**states, "campaign_sessions": sessions, "institution_list": institutions, "followup_list": followups}


def _reports() -> list[Report]:
    s = _every_state()
    campaign = s["campaigns"][CAMPAIGN]
    august = (date(2019, 8, 1), date(2019, 8, 31))
    built = [
        campaign_report(
            {**campaign, "status": status}, s["campaign_sessions"], s["institution_list"], s["workers"], region_name
        )
        for status in ("planned", "completed", "cancelled")
    ]
    return [
        *built,
        fgd_minutes(s["sessions"]["ses_fgd"], s["followup_list"], s["workers"], region_name),
        monthly_district(
            "34.03",
            *august,
            s["sessions"].values(),
            s["institution_list"],
            s["regulations"].values(),
            region_name,
            s["institution_list"],
        ),
        psks_handover("34.03", *august, s["institution_list"], region_name),
        registry_export(
            "34.03", s["institution_list"], s["workers"].values(), region_name, "2019-08-20T03:00:00+00:00"
        ),
    ]


@pytest.mark.parametrize("report", _reports(), ids=lambda r: f"{r.kind}-{r.title[:20]}")
def test_no_report_shows_an_english_status_word(report: Report) -> None:
    assert report.narrative, "every report opens with a narrative"
    for fmt, text in texts(report).items():
        assert report.narrative[0][:60] in text.replace("\n", " "), fmt
        assert english_words(text) == [], (fmt, english_words(text))


def test_the_scan_finds_an_english_word_where_one_is_left() -> None:
    report = _reports()[0]
    leaked = Report(**{**report.__dict__, "meta": [*report.meta, ("Status", "completed")]})
    assert {fmt: english_words(text) for fmt, text in texts(leaked).items()} == {
        "xlsx": ["completed"],
        "pdf": ["completed"],
        "csv": ["completed"],
    }
