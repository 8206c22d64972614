"""Reading an uploaded table (CSV or XLSX) into a header and rows of text, numbered as the spreadsheet shows them."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from services.registry.domain.rows import MAX_ROWS, FileError

Table = tuple[list[str], list[tuple[int, list[str]]]]


def read_table(content: bytes) -> Table:
    """(header, [(row number, cells)]): XLSX when the file is a zip archive, CSV (',' or ';') otherwise."""
    if not content.strip():
        raise FileError("file is empty")
    lines = _xlsx_lines(content) if content[:4] == b"PK\x03\x04" else _csv_lines(content)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for number, cells in lines:
        if not any(cells):
            continue
        if header is None:
            header = cells
            continue
        rows.append((number, cells))
        if len(rows) > MAX_ROWS:
            raise FileError(f"file has more than {MAX_ROWS} rows; split it")
    if header is None:
        raise FileError("file has no header row")
    if not rows:
        raise FileError("file has a header but no rows")
    width = len(header)
    for number, cells in rows:
        if len(cells) > width and any(cells[width:]):
            raise FileError(f"row {number} has more cells than the header has columns")
    return header, [(number, (cells + [""] * width)[:width]) for number, cells in rows]


def _csv_lines(content: bytes) -> list[tuple[int, list[str]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileError("file is neither UTF-8 CSV nor XLSX") from exc
    if "\x00" in text:
        raise FileError("file is neither UTF-8 CSV nor XLSX (binary content)")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        return [(reader.line_num, [cell.strip() for cell in cells]) for cells in reader]
    except csv.Error as exc:
        raise FileError(f"CSV is malformed: {exc}") from exc


def _xlsx_lines(content: bytes) -> list[tuple[int, list[str]]]:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            return [
                (number, [_text(value) for value in values])
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
            ]
        finally:
            workbook.close()
    except (zipfile.BadZipFile, InvalidFileException, KeyError, IndexError, ValueError, OSError) as exc:
        raise FileError("XLSX file cannot be read (damaged or not a workbook)") from exc


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
