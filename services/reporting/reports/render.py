"""A report's content rendered as XLSX (xlsxwriter), PDF (reportlab, with a matplotlib chart) and CSV.

Layout of the XLSX, which district systems may read: sheet ``Ringkasan`` holds the title (A1), the period
(A2:B2), a revised report's note (A3) and the key figures from row 4 (label in A, value in B); each table has its
own sheet with the headings in row 1; sheet ``Grafik`` holds the chart's data and a native column chart.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

import xlsxwriter
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from services.reporting.reports.charts import bar_chart
from services.reporting.reports.model import Cell, Report

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


def to_xlsx(report: Report) -> bytes:
    out = io.BytesIO()
    # Text is data, never code: names and places operators typed stay strings, not formulas or links
    # (xlsxwriter's write() would otherwise turn "=..." into a formula and "http://..." into a hyperlink).
    book = xlsxwriter.Workbook(
        out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    )
    # A fixed creation date (the newest fact's time) keeps the file byte-identical for the same inputs.
    book.set_properties({"title": report.title, "author": "Pilar reporting", "created": _as_of(report)})
    bold = book.add_format({"bold": True})
    title = book.add_format({"bold": True, "font_size": 14})
    summary = book.add_worksheet("Ringkasan")
    summary.set_column(0, 0, 28)
    summary.set_column(1, 1, 48)
    summary.write(0, 0, report.title, title)
    summary.write(1, 0, "Periode", bold)
    summary.write(1, 1, _period(report))
    if report.revision_note:  # row 3 stays empty in a report never revised
        summary.write(2, 0, report.revision_note, book.add_format({"bold": True, "font_color": "#9c0006"}))
    for row, (label, value) in enumerate(report.meta, start=3):
        summary.write(row, 0, label, bold)
        summary.write(row, 1, value)
    for table in report.tables:
        sheet = book.add_worksheet(table.name[:31])
        for col, heading in enumerate(table.columns):
            sheet.write(0, col, heading, bold)
            sheet.set_column(col, col, max(12, len(heading) + 2))
        for row, cells in enumerate(table.rows, start=1):
            for col, cell in enumerate(cells):
                sheet.write(row, col, cell)
    if report.chart and report.chart.labels:
        sheet = book.add_worksheet("Grafik")
        sheet.write(0, 0, "Label", bold)
        for col, (name, values) in enumerate(report.chart.series.items(), start=1):
            sheet.write(0, col, name, bold)
            for row, value in enumerate(values, start=1):
                sheet.write(row, col, value)
        for row, label in enumerate(report.chart.labels, start=1):
            sheet.write(row, 0, label)
        chart = book.add_chart({"type": "column"})
        last = len(report.chart.labels)
        for col, name in enumerate(report.chart.series, start=1):
            chart.add_series(
                {"name": name, "categories": ["Grafik", 1, 0, last, 0], "values": ["Grafik", 1, col, last, col]}
            )
        chart.set_title({"name": report.chart.title})
        sheet.insert_chart(1, len(report.chart.series) + 2, chart)
    book.close()
    return out.getvalue()


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


def to_csv(report: Report) -> bytes:
    """One file: the key figures, then each table under a ``# <name>`` line, separated by blank lines. Every cell
    is neutralised: names come from operators and district systems."""
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
    for table in report.tables:
        writer.writerow([])
        row([f"# {table.name}"])
        row(list[Cell](table.columns))
        for cells in table.rows:
            row(cells)
    return out.getvalue().encode("utf-8")


def to_pdf(report: Report) -> bytes:
    out = io.BytesIO()
    # invariant=1: no creation date or random document id, so the same report gives the same bytes.
    doc = SimpleDocTemplate(
        out, pagesize=landscape(A4), invariant=1, title=report.title, author="Pilar reporting", leftMargin=1.5 * cm
    )
    styles = getSampleStyleSheet()
    cell = styles["BodyText"].clone("cell", fontSize=8, leading=10)
    story: list[object] = [Paragraph(_escape(report.title), styles["Title"])]
    story.append(Paragraph(f"Periode: {_escape(_period(report))}", styles["Normal"]))
    if report.revision_note:
        story.append(Paragraph(f"<b>{_escape(report.revision_note)}</b>", styles["Normal"]))
    meta = PdfTable([[Paragraph(_escape(label), cell), Paragraph(_escape(str(v)), cell)] for label, v in report.meta])
    meta.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey)]))
    story += [Spacer(1, 0.3 * cm), meta]
    if report.chart and report.chart.labels:
        png = bar_chart(report.chart.title, report.chart.labels, report.chart.series, fmt="png")
        story += [Spacer(1, 0.3 * cm), Image(io.BytesIO(png), width=20 * cm, height=9 * cm)]
    for table in report.tables:
        story += [Spacer(1, 0.4 * cm), Paragraph(_escape(table.name), styles["Heading2"])]
        rows = [[Paragraph(_escape(str(v)), cell) for v in row] for row in [list[Cell](table.columns), *table.rows]]
        if len(rows) == 1:
            rows.append([Paragraph("(tidak ada data)", cell)] + [Paragraph("", cell)] * (len(table.columns) - 1))
        grid = PdfTable(rows, repeatRows=1)
        grid.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(grid)
    doc.build(story)
    return out.getvalue()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


RENDERERS = {"xlsx": to_xlsx, "pdf": to_pdf, "csv": to_csv}
