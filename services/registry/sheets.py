"""Reading an uploaded table (CSV or XLSX) into a header and rows of text, numbered as the spreadsheet shows them.

Every limit is enforced while reading, so no upload can make the service hold more than a bounded amount: an XLSX
archive is checked (entries, sizes, compression ratio) and its XML scanned for too many rows or cells before
openpyxl touches it, and rows are read one at a time ignoring the sheet's declared dimension (it may be forged).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import IO, Any
from xml.parsers import expat

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from services.registry.domain.rows import MAX_ROWS, FileError

Table = tuple[list[str], list[tuple[int, list[str]]]]
Lines = Iterator[tuple[int, list[str]]]

MAX_COLUMNS = 50
# Blank lines between rows are tolerated, within reason: past this line number the file is refused.
MAX_LINES = MAX_ROWS + 10_000
MAX_LINE_CHARS = 64 * 1024
# An XLSX of 50,000 rows of every import column unpacks to some 60 MB; a bomb unpacks to far more.
MAX_ZIP_ENTRIES = 1_000
MAX_UNPACKED_BYTES = 160 * 1024 * 1024
MAX_ENTRY_RATIO = 100  # unpacked : packed, per entry (Apache POI's guard against zip bombs uses the same)
RATIO_CHECKED_ABOVE = 1024 * 1024  # small entries may compress oddly well; they cannot hurt
MAX_CELLS_PER_ROW = 1_000  # <c> elements in one <row>, empty styled ones included
# Every cell of 50,000 rows of the widest import (17 columns) a distinct text, and some: openpyxl holds them all.
MAX_SHARED_STRINGS = 1_000_000


def read_table(content: bytes) -> Table:
    """(header, [(row number, cells)]): XLSX when the file is a zip archive, CSV (',' or ';') otherwise."""
    if not content.strip():
        raise FileError("file is empty")
    if content[:4] == b"PK\x03\x04":
        return _table(_xlsx_lines(content))
    return _table(_csv_lines(content))


def _table(lines: Lines) -> Table:
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for number, cells in lines:
        if number > MAX_LINES:
            raise FileError(f"file has more than {MAX_LINES} lines; split it")
        if len(cells) > MAX_COLUMNS:
            if any(cells[MAX_COLUMNS:]):
                raise FileError(f"row {number} has more than {MAX_COLUMNS} columns")
            cells = cells[:MAX_COLUMNS]
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


def _csv_lines(content: bytes) -> Lines:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileError("file is neither UTF-8 CSV nor XLSX") from exc
    if "\x00" in text:
        raise FileError("file is neither UTF-8 CSV nor XLSX (binary content)")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(_short_lines(io.StringIO(text, newline="")), delimiter=delimiter, strict=True)
    try:
        for cells in reader:
            yield reader.line_num, [cell.strip() for cell in cells]
    except csv.Error as exc:
        raise FileError(f"CSV is malformed: {exc}") from exc


def _short_lines(lines: Iterable[str]) -> Iterator[str]:
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE_CHARS:
            raise FileError(f"line {number} is longer than {MAX_LINE_CHARS} characters")
        yield line


def _xlsx_lines(content: bytes) -> Lines:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            _check_archive(archive)
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            # The declared <dimension> may claim a million rows of 16,384 columns: read only the cells there are.
            sheet.reset_dimensions()
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, [_text(value) for value in values]
        finally:
            workbook.close()
    except FileError:
        raise
    except (zipfile.BadZipFile, InvalidFileException, KeyError, IndexError, ValueError, OSError) as exc:
        raise FileError("XLSX file cannot be read (damaged or not a workbook)") from exc


def _check_archive(archive: zipfile.ZipFile) -> None:
    """Refuses a zip bomb from its directory (zipfile never unpacks more than an entry's declared size), then
    streams every part as XML counting rows, cells per row and shared strings, before openpyxl builds anything."""
    entries = archive.infolist()
    if len(entries) > MAX_ZIP_ENTRIES:
        raise FileError(f"XLSX file has more than {MAX_ZIP_ENTRIES} parts")
    if sum(e.file_size for e in entries) > MAX_UNPACKED_BYTES:
        raise FileError(f"XLSX file unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MB; split it")
    for entry in entries:
        if entry.file_size > RATIO_CHECKED_ABOVE and entry.file_size > MAX_ENTRY_RATIO * max(entry.compress_size, 1):
            raise FileError("XLSX file is compressed suspiciously well (a zip bomb?); refused")
    counts = _XmlCounts()
    for entry in entries:
        with archive.open(entry) as part:
            counts.scan(part)


class _XmlCounts:
    """Counts <row>, <c> per row and <si> across the workbook's XML with expat: nothing is built, memory stays flat."""

    def __init__(self) -> None:
        self.rows = self.cells = self.strings = 0

    def scan(self, part: IO[bytes]) -> None:
        """Counts up to where the part stops being XML (an image ends at once): openpyxl would stop there too."""
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.StartElementHandler = self._start
        parser.StartDoctypeDeclHandler = self._doctype
        self.cells = 0
        try:
            while chunk := part.read(1024 * 1024):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except expat.ExpatError:
            return

    def _doctype(self, *_: Any) -> None:
        raise FileError("XLSX file declares a DTD; a workbook never does")

    def _start(self, name: str, _attributes: Any) -> None:
        local = name.rpartition(" ")[2]
        if local == "row":
            self.rows += 1
            self.cells = 0
            if self.rows > MAX_LINES:
                raise FileError(f"file has more than {MAX_LINES} lines; split it")
        elif local == "c":
            self.cells += 1
            if self.cells > MAX_CELLS_PER_ROW:
                raise FileError(f"XLSX row {self.rows} has more than {MAX_CELLS_PER_ROW} cells")
        elif local == "si":
            self.strings += 1
            if self.strings > MAX_SHARED_STRINGS:
                raise FileError(f"XLSX file has more than {MAX_SHARED_STRINGS} distinct texts")


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
