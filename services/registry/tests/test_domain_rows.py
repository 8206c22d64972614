"""Import files and rows: reading CSV/XLSX, headers, and row → command or errors by column."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from services.registry.domain.rows import (
    FileError,
    ImportKind,
    RowProblems,
    check_header,
    institution_from_row,
    worker_from_row,
)
from services.registry.sheets import read_table


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_csv_with_commas_or_semicolons_and_numbered_lines() -> None:
    header, rows = read_table(b"\xef\xbb\xbfrole,name,region_code\nPSM,Siti,34.03.13.2004\n\n TKSK ,Budi,34.03.13\n")
    assert header == ["role", "name", "region_code"]
    assert rows == [(2, ["PSM", "Siti", "34.03.13.2004"]), (4, ["TKSK", "Budi", "34.03.13"])]
    _, rows = read_table(b"role;name;region_code\nPSM;Siti, S.Pd;34.03.13.2004\n")
    assert rows == [(2, ["PSM", "Siti, S.Pd", "34.03.13.2004"])]


def test_short_rows_are_padded_and_long_rows_refused() -> None:
    assert read_table(b"a,b,c\n1\n")[1] == [(2, ["1", "", ""])]
    with pytest.raises(FileError, match="row 2 has more cells"):
        read_table(b"a,b\n1,2,3\n")


def test_xlsx_cells_become_text() -> None:
    from datetime import datetime

    content = xlsx([["role", "name", "region_code", "nik"], ["PSM", "Siti", "34.03.13.2004", 3403135208900001]])
    _, rows = read_table(content)
    assert rows == [(2, ["PSM", "Siti", "34.03.13.2004", "3403135208900001"])]
    _, dated = read_table(xlsx([["sk_date"], [datetime(2019, 8, 15)]]))
    assert dated == [(2, ["2019-08-15"])]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\xff\xfe\x00\x01binary", "neither UTF-8 CSV nor XLSX"),
        (b"PK\x03\x04not really a zip", "XLSX file cannot be read"),
        (b"role,name,region_code\n", "no rows"),
        (b'role,name\n"PSM,Siti\n', "CSV is malformed"),
    ],
)
def test_malformed_files_are_refused(content: bytes, message: str) -> None:
    with pytest.raises(FileError, match=message):
        read_table(content)


def test_headers_name_missing_unknown_and_repeated_columns() -> None:
    assert check_header(ImportKind.WORKERS, ["Role", " Name ", "Region Code", "NIK"]) == [
        "role",
        "name",
        "region_code",
        "nik",
    ]
    with pytest.raises(FileError) as error:
        check_header(ImportKind.INSTITUTIONS, ["kind", "nama", "kind"])
    message = str(error.value)
    assert "missing column(s): name, region_code" in message
    assert "unknown column(s): nama" in message
    assert "repeated column(s): kind" in message


def test_an_institution_row_with_a_board() -> None:
    command = institution_from_row(
        {
            "kind": "WKSBM",
            "name": "WKSBM Kampung Sejahtera",
            "region_code": "3403132004",
            "sk_number": "141/12/2019",
            "sk_date": "2019-08-20",
            "ketua": "Sutrisno",
            "ketua_nik": "3403131308850002",
            "sekretaris": "Wahyuni",
            "bendahara": "Sri Lestari",
            "bendahara_phone": "0812 2700 1111",
            "issues": "",
        }
    )
    assert command.region_code == "34.03.13.2004"
    assert [seat.role for seat in command.board] == ["ketua", "sekretaris", "bendahara"]
    assert command.board[2].phone == "081227001111"
    assert command.legal_basis is not None and command.legal_basis.sk_number == "141/12/2019"


def test_institution_row_errors_name_the_columns() -> None:
    with pytest.raises(RowProblems) as error:
        institution_from_row(
            {
                "kind": "WKSBM",
                "name": "",
                "region_code": "34.03",
                "sekretaris": "Wahyuni",
                "sekretaris_nik": "3403139999990001",
                "bendahara_phone": "0812",
                "sk_date": "2019-08-20",
            }
        )
    fields = {field for field, _ in error.value.problems}
    assert fields == {"name", "region_code", "sekretaris_nik", "bendahara_phone", "sk_number"}


def test_worker_rows() -> None:
    worker = worker_from_row({"role": "TKSK", "name": "Budi", "region_code": "34.03.13", "active": "Tidak"})
    assert worker.active is False
    with pytest.raises(RowProblems) as error:
        worker_from_row({"role": "KADER", "name": "Budi", "region_code": "34.03.13", "active": "kadang"})
    assert {field for field, _ in error.value.problems} == {"role", "active"}


def test_a_job_cut_off_by_a_restart_reads_as_interrupted() -> None:
    from datetime import UTC, datetime, timedelta

    from services.registry.domain.imports import job_view

    beat = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
    job = {"_id": "imp_1", "status": "running", "heartbeat_at": beat, "processed": 500}
    assert job_view(job, beat + timedelta(minutes=1))["status"] == "running"
    stalled = job_view(job, beat + timedelta(minutes=6))
    assert stalled["status"] == "interrupted"
    assert "upload the rest" in stalled["message"]
    assert job_view({**job, "status": "done"}, beat + timedelta(hours=1))["status"] == "done"


def test_limits_hold_while_reading() -> None:
    from services.registry.sheets import MAX_COLUMNS, MAX_LINE_CHARS, MAX_LINES

    with pytest.raises(FileError, match="longer than"):
        read_table(b"role,name,region_code\n" + b"x" * (MAX_LINE_CHARS + 1) + b"\n")
    with pytest.raises(FileError, match=f"more than {MAX_COLUMNS} columns"):
        read_table(b"role,name,region_code\n" + b",".join([b"x"] * (MAX_COLUMNS + 1)) + b"\n")
    # Empty cells past the limit are no content: a spreadsheet's trailing separators are fine.
    assert read_table(b"a,b\n1,2" + b"," * (MAX_COLUMNS + 5) + b"\n")[1] == [(2, ["1", "2"])]
    with pytest.raises(FileError, match=f"more than {MAX_LINES} lines"):
        read_table(b"a\n" + b"\n" * MAX_LINES + b"1\n")


def test_an_xlsx_declaring_a_dtd_is_refused() -> None:
    import zipfile

    content = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx([["a"], [1]]))) as source, zipfile.ZipFile(content, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/workbook.xml":
                data = b'<!DOCTYPE x [<!ENTITY e "e">]>' + data
            target.writestr(name, data)
    with pytest.raises(FileError, match="DTD"):
        read_table(content.getvalue())
