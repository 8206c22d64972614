"""A report's content rendered as XLSX (xlsxwriter), PDF (``pdf.py``) and CSV, under the office's letterhead.

Layout of the XLSX, which district systems may read: sheet ``Ringkasan`` holds the kop (A1 the office, A2 its
address, row 3 empty), the title (A4), the period (A5:B5), a revised report's note (A6), the key figures from
row 7 (label in A, value in B) and, after an empty row, the narrative under "Uraian" (one paragraph per row);
each table has its own sheet with the headings in row 1; sheet ``Grafik`` holds the chart's data and a native
column chart.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from services.reporting.reports.letterhead import DEFAULT_LETTERHEAD, Letterhead
from services.reporting.reports.model import Cell, Chart, Report
from services.reporting.reports.pdf import to_pdf

KOP_ROWS = 3  # office, address, an empty row: the title is on row 4 whatever the letterhead holds
FORMATS = ("xlsx", "pdf", "csv")
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
}


def _period(report: Report) -> str:
    if report.period_start and report.period_end:
        return f"{report.period_start.isoformat()} s.d. {report.period_end.isoformat()}"
    return "-"


def _as_of(report: Report) -> datetime:
    text = report.as_of if "T" in report.as_of else f"{report.as_of}T00:00:00"
    return datetime.fromisoformat(text).replace(tzinfo=None)


def to_xlsx(report: Report, letterhead: Letterhead = DEFAULT_LETTERHEAD) -> bytes:
    out = io.BytesIO()
    # Text is data, never code: names and places operators typed stay strings, not formulas or links
    # (xlsxwriter's write() would otherwise turn "=..." into a formula and "http://..." into a hyperlink).
    # constant_memory: each row goes to a temporary file once the next is begun, so a province's export stays
    # small in memory (its sheets are written row after row, as that mode needs).
    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    book = xlsxwriter.Workbook(out, {"constant_memory": True, **options})
    # A fixed creation date (the newest fact's time) keeps the file byte-identical for the same inputs.
    book.set_properties({"title": report.title, "author": "Pilar reporting", "created": _as_of(report)})
    bold = book.add_format({"bold": True})
    summary = book.add_worksheet("Ringkasan")
    summary.set_column(0, 0, 28)
    summary.set_column(1, 1, 90)
    _xlsx_kop(book, summary, letterhead)
    summary.write(KOP_ROWS, 0, report.title, book.add_format({"bold": True, "font_size": 14}))
    summary.write(KOP_ROWS + 1, 0, "Periode", bold)
    summary.write(KOP_ROWS + 1, 1, _period(report))
    if report.revision_note:  # this row stays empty in a report never revised
        summary.write(KOP_ROWS + 2, 0, report.revision_note, book.add_format({"bold": True, "font_color": "#9c0006"}))
    for row, (label, value) in enumerate(report.meta, start=KOP_ROWS + 3):
        summary.write(row, 0, label, bold)
        summary.write(row, 1, value)
    _xlsx_narrative(book, summary, report, first_row=KOP_ROWS + 4 + len(report.meta))
    for table in report.tables:
        sheet = book.add_worksheet(table.name[:31])
        for col, heading in enumerate(table.columns):
            sheet.write(0, col, heading, bold)
            sheet.set_column(col, col, max(12, len(heading) + 2))
        for row, cells in enumerate(table.rows, start=1):
            for col, cell in enumerate(cells):
                sheet.write(row, col, cell)
    if report.chart and report.chart.labels:
        _xlsx_chart(book, report.chart, bold)
    book.close()
    return out.getvalue()


def _xlsx_kop(book: Workbook, sheet: Worksheet, letterhead: Letterhead) -> None:
    """Office (A1) and address (A2) across the two columns, with the kop's rule under them; the logo, if any, over
    the two rows at the left."""
    office = book.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
    address = book.add_format({"align": "center", "valign": "vcenter", "bottom": 6})  # a double rule, as printed
    sheet.set_row(0, 30)
    sheet.set_row(1, 22)
    sheet.merge_range(0, 0, 0, 1, letterhead.office.upper(), office)
    sheet.merge_range(1, 0, 1, 1, letterhead.address, address)
    if letterhead.logo:
        scale = 64 / letterhead.logo_size()[1]  # the two rows are about 69 pixels high
        options = {"image_data": io.BytesIO(letterhead.logo), "x_scale": scale, "y_scale": scale, "x_offset": 4}
        sheet.insert_image(0, 0, "logo", options | {"y_offset": 2, "object_position": 3})


def _xlsx_narrative(book: Workbook, sheet: Worksheet, report: Report, first_row: int) -> None:
    """The narrative under the key figures ("Uraian"), one paragraph per row across both columns."""
    if not report.narrative:
        return
    sheet.write(first_row, 0, "Uraian", book.add_format({"bold": True}))
    wrapped = book.add_format({"text_wrap": True, "valign": "top"})
    for row, paragraph in enumerate(report.narrative, start=first_row + 1):
        sheet.merge_range(row, 0, row, 1, paragraph, wrapped)
        sheet.set_row(row, 15 * (len(paragraph) // 100 + 1))  # merged cells do not grow by themselves


def _xlsx_chart(book: Workbook, chart_data: Chart, bold: Format) -> None:
    sheet = book.add_worksheet("Grafik")
    sheet.write_row(0, 0, ["Label", *chart_data.series], bold)
    for row, label in enumerate(chart_data.labels, start=1):
        sheet.write_row(row, 0, [label, *(values[row - 1] for values in chart_data.series.values())])
    chart = book.add_chart({"type": "column"})
    assert chart is not None  # "column" is a known chart type
    last = len(chart_data.labels)
    for col, name in enumerate(chart_data.series, start=1):
        chart.add_series(
            {"name": name, "categories": ["Grafik", 1, 0, last, 0], "values": ["Grafik", 1, col, last, col]}
        )
    chart.set_title({"name": chart_data.title})
    sheet.insert_chart(1, len(chart_data.series) + 2, chart)


# A spreadsheet opening a CSV reads a cell starting with one of these as a formula (OWASP: CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: Cell) -> Cell:
    """A CSV cell as inert text: text that starts with a formula trigger — also after leading whitespace, which
    spreadsheets skip — gets a leading single quote (OWASP). Numbers stay numbers; a lone character (our "-" for
    "none") cannot make a formula and stays as it is."""
    if not isinstance(cell, str) or len(cell.strip()) <= 1:
        return cell
    if cell.startswith(FORMULA_TRIGGERS) or cell.lstrip().startswith(FORMULA_TRIGGERS):
        return "'" + cell
    return cell


def to_csv(report: Report, letterhead: Letterhead = DEFAULT_LETTERHEAD) -> bytes:
    """One file: the key figures, then each table under a ``# <name>`` line, separated by blank lines. Every cell
    is neutralised: names come from operators and district systems. A file for machines: no kop; the narrative
    follows the key figures under ``# Uraian``, one paragraph per line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")

    def row(cells: list[Cell]) -> None:
        writer.writerow([neutralise(c) for c in cells])

    row(["# " + report.title])
    row(["Periode", _period(report)])
    if report.revision_note:
        row(["Revisi", report.revision_note])
    for label, value in report.meta:
        row([label, value])
    if report.narrative:
        writer.writerow([])
        row(["# Uraian"])
        for paragraph in report.narrative:
            row([paragraph])
    for table in report.tables:
        writer.writerow([])
        row([f"# {table.name}"])
        row(list[Cell](table.columns))
        for cells in table.rows:
            row(cells)
    return out.getvalue().encode("utf-8")


RENDERERS: dict[str, Callable[[Report, Letterhead], bytes]] = {"xlsx": to_xlsx, "pdf": to_pdf, "csv": to_csv}
