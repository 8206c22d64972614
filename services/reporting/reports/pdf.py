"""A report as a PDF letter of the office: the kop (logo, office, address, a double rule), the title and period,
a revised report's note, the narrative, the key figures and every table on the pages that follow without a break
(the first ``PRINTED_ROWS`` rows of a longer one, with a note), the chart, then the signature block (place and
date, jabatan, nama, NIP).

``invariant=1``: no creation date or random document id, so the same report gives the same bytes.
"""

from __future__ import annotations

import io

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import StyleSheet1, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    HRFlowable,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Table as PdfTable

from pilar_runtime.localtime import tanggal
from services.reporting.reports.charts import bar_chart
from services.reporting.reports.letterhead import DEFAULT_LETTERHEAD, Letterhead
from services.reporting.reports.model import Cell, Report, Table, day_of
from services.reporting.reports.prose import angka

LOGO_HEIGHT = 2.2 * cm
GRID = [("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]


def to_pdf(report: Report, letterhead: Letterhead = DEFAULT_LETTERHEAD) -> bytes:
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        invariant=1,
        title=report.title,
        author="Pilar reporting",
        leftMargin=1.5 * cm,
        topMargin=1.2 * cm,
        bottomMargin=1.2 * cm,
    )
    styles = _styles()
    width = doc.width  # the page's width inside its margins
    story: list[Flowable] = [*_kop(letterhead, styles, width), Paragraph(_escape(report.title), styles["Title"])]
    story.append(Paragraph(f"Periode: {_escape(_periode(report))}", styles["Normal"]))
    if report.revision_note:
        story.append(Paragraph(f"<b>{_escape(report.revision_note)}</b>", styles["Normal"]))
    story.append(Spacer(1, 0.2 * cm))
    story += [Paragraph(_escape(p), styles["narrative"]) for p in report.narrative]
    story += [*_heading("Ringkasan angka", styles), _figures(report, styles, width)]
    for table in report.tables:
        story += [*_heading(table.name, styles), *_grid(table, styles, width)]
        if len(table.rows) > PRINTED_ROWS:
            story.append(Paragraph(_escape(_cut_note(len(table.rows))), styles["Italic"]))
    if report.chart and report.chart.labels:
        png = bar_chart(report.chart.title, report.chart.labels, report.chart.series, fmt="png")
        story += [Spacer(1, 0.4 * cm), Image(io.BytesIO(png), width=20 * cm, height=9 * cm)]
    story.append(_signature(report, letterhead, styles, width))
    doc.build(story)
    return out.getvalue()


def _styles() -> StyleSheet1:
    styles = getSampleStyleSheet()
    styles.add(styles["BodyText"].clone("cell", fontSize=8, leading=10))
    styles.add(styles["BodyText"].clone("narrative", fontSize=10, leading=14, alignment=TA_JUSTIFY, spaceAfter=4))
    bold = {"fontName": "Helvetica-Bold", "fontSize": 15, "leading": 19}
    styles.add(styles["Normal"].clone("office", alignment=TA_CENTER, **bold))
    styles.add(styles["Normal"].clone("address", alignment=TA_CENTER))
    return styles


def _heading(text: str, styles: StyleSheet1) -> list[Flowable]:
    """A section's heading, on the next page only when too little room is left for it and a few rows: tables
    flow on from the first page (a heading kept with its whole table would push a long one to the next)."""
    return [CondPageBreak(3 * cm), Paragraph(_escape(text), styles["Heading2"])]


def _kop(letterhead: Letterhead, styles: StyleSheet1, width: float) -> list[Flowable]:
    """Logo at the left, office and address centred on the page, then a thick and a thin rule."""
    text = [Paragraph(_escape(letterhead.office.upper()), styles["office"])]
    if letterhead.address:
        text.append(Paragraph(_escape(letterhead.address), styles["address"]))
    if letterhead.logo:
        pixels_wide, pixels_high = letterhead.logo_size()
        logo_width = LOGO_HEIGHT * pixels_wide / pixels_high
        logo = Image(io.BytesIO(letterhead.logo), width=logo_width, height=LOGO_HEIGHT)
        side = logo_width + 0.4 * cm  # as wide again at the right, so the text stays centred on the page
        head: Flowable = PdfTable([[logo, text, ""]], colWidths=[side, width - 2 * side, side])
        head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    else:
        head = PdfTable([[text]], colWidths=[width])
    return [
        head,
        HRFlowable(width="100%", thickness=2, color=colors.black, spaceBefore=2, spaceAfter=1),
        HRFlowable(width="100%", thickness=0.5, color=colors.black, spaceAfter=6),
    ]


def _figures(report: Report, styles: StyleSheet1, width: float) -> PdfTable:
    """The key figures two to a row (label, value, label, value): half the height, so the first table starts on
    the first page."""
    cells = [[_cell(label, styles), _cell(value, styles)] for label, value in report.meta]
    if len(cells) % 2:
        cells.append([_cell("", styles), _cell("", styles)])
    half = len(cells) // 2
    rows = [[*left, *right] for left, right in zip(cells[:half], cells[half:], strict=True)]
    label, value = 0.2 * width, 0.3 * width
    figures = PdfTable(rows or [[""] * 4], colWidths=[label, value, label, value], hAlign="LEFT")
    figures.setStyle(TableStyle(GRID))
    return figures


# The PDF is the letter to print and sign; a table longer than this (a province's registry export lists tens of
# thousands of institutions and their boards) is printed up to here, and the XLSX and CSV hold every row. Printing
# them all took ten minutes and 1.4 GB of memory for 27,000 institutions.
PRINTED_ROWS = 2000


def _cut_note(rows: int) -> str:
    return (
        f"Tabel ini memuat {angka(rows)} baris; yang dicetak di sini {angka(PRINTED_ROWS)} baris pertama. "
        "Data lengkap ada di berkas XLSX dan CSV laporan ini."
    )


# A long table is laid out in parts of this many rows, one under the other with the same columns: each page break
# in a table measures again every row left in it, so one table of a province's 50,000 institutions took hours.
ROWS_PER_PART = 300


def _grid(table: Table, styles: StyleSheet1, width: float) -> list[PdfTable]:
    header = [_cell(v, styles) for v in table.columns]
    rows = [[_cell(v, styles) for v in row] for row in table.rows[:PRINTED_ROWS]]
    if not rows:
        rows.append([_cell("(tidak ada data)", styles)] + [_cell("", styles)] * (len(table.columns) - 1))
    parts = [PdfTable([header, *rows[:ROWS_PER_PART]], repeatRows=1)]
    if len(rows) > ROWS_PER_PART:
        parts[0].wrap(width, A4[0])  # the first part's columns, kept by every part
        columns = parts[0]._colWidths
        parts += [
            PdfTable([header, *rows[start : start + ROWS_PER_PART]], colWidths=columns, repeatRows=1)
            for start in range(ROWS_PER_PART, len(rows), ROWS_PER_PART)
        ]
    for part in parts:
        part.setStyle(TableStyle([*GRID, ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey)]))
    return parts


def _signature(report: Report, letterhead: Letterhead, styles: StyleSheet1, width: float) -> Flowable:
    """At the right, kept on one page: "Wonosari, 16 Agustus 2019", the jabatan, room to sign, nama, NIP."""
    day = day_of(report.as_of, report.region_code)
    nama = f"<u><b>{_escape(letterhead.nama)}</b></u>" if letterhead.nama else "(" + "." * 40 + ")"
    nip = f"NIP. {_escape(letterhead.nip)}" if letterhead.nip else "NIP. " + "." * 30
    block = [
        Paragraph(_escape(letterhead.place_and_date(report.district, day)), styles["Normal"]),
        Paragraph(_escape(letterhead.jabatan), styles["Normal"]),
        Spacer(1, 2 * cm),
        Paragraph(nama, styles["Normal"]),
        Paragraph(nip, styles["Normal"]),
    ]
    return KeepTogether([Spacer(1, 0.8 * cm), PdfTable([["", block]], colWidths=[width - 9 * cm, 9 * cm])])


def _periode(report: Report) -> str:
    if report.period_start and report.period_end:
        if report.period_start == report.period_end:
            return tanggal(report.period_start)
        return f"{tanggal(report.period_start)} s.d. {tanggal(report.period_end)}"
    return "-"


def _cell(value: Cell, styles: StyleSheet1) -> Paragraph:
    return Paragraph(_escape(str(value)), styles["cell"])


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
