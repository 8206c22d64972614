"""Finding 6: names operators type (institutions, board members) end up in the reports as text, never as formulas
or links. Through the running service: the registry's events carry hostile names, the PSKS handover report is
built, and its XLSX (read back with openpyxl) and CSV hold them as inert strings while our own numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import openpyxl

from pilar_dev.testing import bearer, eventually
from services.reporting.tests.conftest import Publish, Reporting, fed, publish, reporting  # noqa: F401
from services.reporting.tests.scenario import at, envelope

GUNUNGKIDUL = bearer("district_operator", "34.03", sub="op-gk")
DESA = "34.03.13.2004"
PAYLOADS = (
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "-2+3+cmd|' /C calc'!A0",
    "=1+1",
    "http://evil.example/phish",
)


def _formed(index: int, name: str, board: list[dict[str, str]]) -> Any:
    institution = f"ins_formula_{index}"
    return envelope(
        "WKSBM_formed",
        {
            "institution_id": institution,
            "kind": "WKSBM",
            "name": name,
            "region_code": DESA,
            "formed_on": f"2021-03-0{index + 1}",
            "board": board,
            "member_ids": ["ins_member"],
        },
        region=DESA,
        aggregate=institution,
        version=2,
        at=at(date(2021, 3, index + 1)),
    )


async def test_hostile_names_are_plain_text_in_xlsx_and_neutralised_in_csv(
    reporting: Reporting,  # noqa: F811 (the fixture)
    publish: Publish,  # noqa: F811
) -> None:
    events = []
    for index, payload in enumerate(PAYLOADS):
        board = [
            {"role": "ketua", "name": payload},
            {"role": "sekretaris", "name": "Wahyuni"},
            {"role": "bendahara", "name": "Sri Lestari"},
        ]
        events.append(_formed(index, payload, board))
    await fed(reporting, publish, events)
    period = {"period_start": "2021-03-01", "period_end": "2021-03-31"}
    created = await reporting.http.post(
        "/reports", json={"kind": "psks_handover", "region_code": "34.03", **period}, headers=GUNUNGKIDUL
    )
    assert created.status_code == 202, created.text
    report_id = created.json()["id"]

    async def done() -> bool:
        return (await reporting.get(f"/reports/{report_id}", GUNUNGKIDUL))["status"] == "done"

    await eventually(done, timeout=60, what="the PSKS handover report")

    async def download(fmt: str) -> bytes:
        response = await reporting.http.get(
            f"/reports/{report_id}/download", params={"format": fmt}, headers=GUNUNGKIDUL
        )
        assert response.status_code == 200, response.text
        return response.content

    book = openpyxl.load_workbook(io.BytesIO(await download("xlsx")))
    for sheet in book:
        assert not sheet._hyperlinks, sheet.title  # no link anywhere
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                assert cell.hyperlink is None, (sheet.title, cell.coordinate)
    sheet = book["Lembaga"]
    header = [c.value for c in sheet[1]]
    name_col, ketua_col = header.index("Nama"), header.index("Ketua")
    rows = list(sheet.iter_rows(min_row=2))
    assert sorted(str(r[name_col].value) for r in rows) == sorted(PAYLOADS)
    for row in rows:
        for cell in (row[name_col], row[ketua_col]):
            assert cell.data_type == "s" and cell.value in PAYLOADS, (cell.coordinate, cell.data_type, cell.value)
    # Numbers we write ourselves stay numbers.
    figures = {r[0].value: r[1] for r in book["Ringkasan"].iter_rows(min_row=4) if r[0].value}
    assert figures["Lembaga terbentuk"].value == len(PAYLOADS) and figures["Lembaga terbentuk"].data_type == "n"

    lines = list(csv.reader(io.StringIO((await download("csv")).decode())))
    cells = [c for line in lines for c in line]
    for payload in PAYLOADS[:5]:  # the formula triggers: each written with a leading quote, never bare
        assert payload not in cells
        assert cells.count("'" + payload) == 2  # as the name and as the ketua
    assert cells.count(PAYLOADS[5]) == 2  # a plain URL starts no formula: left as it is
    assert ["Lembaga terbentuk", str(len(PAYLOADS))] in lines
