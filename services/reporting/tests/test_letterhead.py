"""The office's kop and signature (pure rendering, and the start-up check of the logo): the PDF opens with the kop
and the narrative, keeps the first table on the first page and ends with the signature; the XLSX carries the kop
in its first rows and the narrative under the key figures; the CSV the narrative under ``# Uraian``."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from reportlab.lib.units import cm

from pilar_dev.testing import TEST_JWKS
from services.reporting.app import build
from services.reporting.reports.charts import bar_chart
from services.reporting.reports.letterhead import MAX_LOGO_BYTES, Letterhead, LetterheadError, read_logo
from services.reporting.reports.model import Cell, Table
from services.reporting.reports.pdf import ROWS_PER_PART, _grid, _styles
from services.reporting.reports.render import to_csv, to_pdf, to_xlsx
from services.reporting.settings import ReportingSettings
from services.reporting.tests.pdftext import pdf_pages, pdf_text
from services.reporting.tests.test_domain_revisions import _campaign_report

LOGO = bar_chart("Logo", ["a"], {"x": [1]})  # any PNG
YOGYAKARTA = Letterhead(
    office="Dinas Sosial Daerah Istimewa Yogyakarta",
    address="Jl. Janti No. 23, Banguntapan, Bantul",
    logo=LOGO,
    jabatan="Kepala Seksi Penyuluhan Sosial",
    nama="Budhi Wibowo",
    nip="19650101 199003 1 001",
)


def test_the_pdf_opens_with_the_kop_and_the_narrative_and_ends_with_the_signature() -> None:
    report = _campaign_report()
    pdf = to_pdf(report, YOGYAKARTA)
    text = pdf_text(pdf)
    lines = text.splitlines()
    assert lines[:4] == [
        "DINAS SOSIAL DAERAH ISTIMEWA YOGYAKARTA",
        "Jl. Janti No. 23, Banguntapan, Bantul",
        "Laporan Kampanye: Penumbuhan WKSBM Gunungkidul 2019",
        "Periode: 8 Agustus 2019 s.d. 15 Agustus 2019",
    ]
    assert lines[4].startswith("Dinas Sosial melaksanakan penyuluhan sosial tingkat desa")
    flowing = " ".join(lines)
    assert "Pelaksanaannya di 10 lokasi, semuanya ada di Kabupaten Gunungkidul mulai tanggal 8 Agustus" in flowing
    # The campaign completed on 16 August 2019 (WIB); its kabupaten names the place without a city configured.
    assert lines[-4:] == [
        "Gunungkidul, 16 Agustus 2019",
        "Kepala Seksi Penyuluhan Sosial",
        "Budhi Wibowo",
        "NIP. 19650101 199003 1 001",
    ]
    assert pdf.count(b"/Subtype /Image") == 3  # the logo, the chart, and the chart's transparency mask
    first_page = pdf_pages(pdf)[0]
    assert "Ringkasan angka" in first_page and "Kode desa" in first_page  # no break before the first table
    assert len(re.findall(rb"/Type /Page\b(?!s)", pdf)) == len(pdf_pages(pdf)) > 1


def test_a_configured_city_signs_and_an_unnamed_signatory_gets_a_line_to_write_on() -> None:
    report = _campaign_report()
    lines = pdf_text(to_pdf(report, Letterhead(city="Wonosari"))).splitlines()
    assert lines[0] == "DINAS SOSIAL" and lines[1] == "Laporan Kampanye: Penumbuhan WKSBM Gunungkidul 2019"
    assert lines[-4:] == ["Wonosari, 16 Agustus 2019", "Kepala Dinas Sosial", "(" + "." * 40 + ")", "NIP. " + "." * 30]


def test_the_xlsx_carries_the_kop_first_and_the_narrative_under_the_figures() -> None:
    report = _campaign_report()
    xlsx = to_xlsx(report, YOGYAKARTA)
    with zipfile.ZipFile(io.BytesIO(xlsx)) as files:
        assert files.read("xl/media/image1.png") == LOGO  # the logo at the kop's left
    with zipfile.ZipFile(io.BytesIO(to_xlsx(report))) as files:
        assert not [name for name in files.namelist() if name.startswith("xl/media/")]
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx))["Ringkasan"]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "DINAS SOSIAL DAERAH ISTIMEWA YOGYAKARTA" and rows[1][0] == YOGYAKARTA.address
    assert rows[2] == [None, None] and rows[3][0] == report.title
    assert rows[4] == ["Periode", "2019-08-08 s.d. 2019-08-15"]
    figures = 6 + len(report.meta)
    assert [tuple(r) for r in rows[6:figures]] == report.meta
    assert rows[figures] == [None, None] and rows[figures + 1] == ["Uraian", None]
    assert [r[0] for r in rows[figures + 2 :]] == report.narrative


def test_the_csv_has_the_narrative_and_no_kop() -> None:
    report = _campaign_report()
    text = to_csv(report, YOGYAKARTA).decode()
    rows = list(csv.reader(io.StringIO(text)))
    start = rows.index(["# Uraian"])
    assert [r[0] for r in rows[start + 1 : start + 1 + len(report.narrative)]] == report.narrative
    assert "DINAS SOSIAL DAERAH" not in text


def test_a_usable_logo_is_read_and_none_configured_is_none(tmp_path: Path) -> None:
    (tmp_path / "logo.png").write_bytes(LOGO)
    assert read_logo(str(tmp_path / "logo.png")) == LOGO
    assert read_logo(None) is None and read_logo("") is None


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "cannot read"),
        (b"GIF89a" + b"\0" * 100, "neither a PNG nor a JPEG"),
        (LOGO[:40], "not a readable image"),
        (LOGO[:8] + b"\0" * MAX_LOGO_BYTES, "more than 1048576"),
    ],
    ids=["missing", "gif", "truncated", "oversized"],
)
def test_a_logo_that_cannot_be_used_stops_the_service_at_start_up(
    tmp_path: Path, content: bytes | None, reason: str
) -> None:
    logo = tmp_path / "logo.png"
    if content is not None:
        logo.write_bytes(content)
    settings = ReportingSettings(letterhead_logo_path=str(logo), jwks=TEST_JWKS)
    with pytest.raises(LetterheadError, match=reason) as refused:
        build(settings)
    assert "REPORTING_LETTERHEAD_LOGO_PATH" in str(refused.value)


def test_the_service_refuses_to_start_with_a_logo_it_cannot_use(tmp_path: Path) -> None:
    """As ``python -m services.reporting`` runs in production: exit code 2, the setting named, no traceback."""
    (tmp_path / "logo.png").write_bytes(b"GIF89a")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PILAR_", "REPORTING_"))}
    env |= {
        "PILAR_JWKS": TEST_JWKS,
        "PILAR_LOG_FORMAT": "json",
        "MONGODB_URL": "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=500",  # never reached: it stops before
        "AMQP_URL": "amqp://u:p@127.0.0.1:9/",
        "REPORTING_LETTERHEAD_LOGO_PATH": str(tmp_path / "logo.png"),
    }
    root = Path(__file__).resolve().parents[3]
    started = subprocess.run(
        [sys.executable, "-m", "services.reporting"], cwd=root, env=env, capture_output=True, text=True, timeout=60
    )
    output = started.stdout + started.stderr
    assert started.returncode == 2, output
    assert "service.refused_to_start" in output and "neither a PNG nor a JPEG" in output
    assert "REPORTING_LETTERHEAD_LOGO_PATH" in output and "Traceback" not in output


def test_a_long_table_is_laid_out_in_parts_with_the_same_columns_and_every_row() -> None:
    """A province's registry export holds tens of thousands of rows: laid out as one table, every page break
    measured again every row left (hours); in parts, each page break measures one part."""
    rows: list[list[Cell]] = [[f"Lembaga {i}", f"Desa {i % 7}", i] for i in range(2 * ROWS_PER_PART + 5)]
    parts = _grid(Table("Lembaga", ["Nama", "Desa", "No."], rows), _styles(), 25 * cm)
    assert [len(p._cellvalues) for p in parts] == [ROWS_PER_PART + 1, ROWS_PER_PART + 1, 6]  # each with its header
    assert len({tuple(p._colWidths) for p in parts[1:]}) == 1 and parts[1]._colWidths == parts[0]._colWidths
    text = pdf_text(to_pdf(replace(_campaign_report(), tables=[Table("Lembaga", ["Nama", "Desa", "No."], rows)])))
    assert "Lembaga 0" in text and f"Lembaga {2 * ROWS_PER_PART + 4}" in text
