"""Finding 3: a small upload must not exhaust the registry's memory.

Hostile workbooks go through the real API (POST /imports) of a registry running as its own process; the test
watches that process's resident memory and kills it if it runs away, so the vulnerable code fails fast instead
of swapping the machine.
"""

from __future__ import annotations

import asyncio
import io
import re
import zipfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from openpyxl import Workbook

from pilar_dev.testing import bearer, delete_namespace, new_namespace
from tests.e2e.stack import Stack

OPERATOR = bearer("district_operator", "34.03", sub="op-gunungkidul")
GROWTH_BUDGET = 200 * 2**20  # what one refused import may add to the process at its peak
RUNAWAY = 1024 * 2**20  # past this the import is stopped by killing the process: the test has failed
SHEET = "xl/worksheets/sheet1.xml"


def _workbook() -> dict[str, bytes]:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["role", "name", "region_code"])
    sheet.append(["PSM", "Siti", "34.03.13.2004"])
    out = io.BytesIO()
    book.save(out)
    with zipfile.ZipFile(out) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _pack(
    parts: dict[str, bytes], sheet_chunks: Callable[[], list[bytes]] | None = None, stored: bool = False
) -> bytes:
    """The workbook with its sheet replaced by the given chunks (streamed into the archive, never held whole)."""
    out = io.BytesIO()
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(out, "w", method, compresslevel=9) as archive:
        for name, data in parts.items():
            if name == SHEET and sheet_chunks is not None:
                with archive.open(name, "w", force_zip64=True) as part:
                    for chunk in sheet_chunks():
                        part.write(chunk)
            else:
                archive.writestr(name, data)
    return out.getvalue()


def forged_dimension() -> bytes:
    """Two real rows, but the sheet claims A1:XFD1048576: openpyxl pads to a million rows of 16,384 cells."""
    parts = _workbook()
    parts[SHEET] = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', parts[SHEET])
    return _pack(parts)


def decompression_bomb(blocks: int) -> bytes:
    """A sheet of ``blocks`` × 46 MB of repeated cells, deflated to well under a megabyte."""
    row = b'<row r="%d">' + b'<c r="A1" t="inlineStr"><is><t>x</t></is></c>' * 1_000 + b"</row>"
    body = b"".join(row % n for n in range(2, 1_002))

    def chunks() -> list[bytes]:
        head = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        return [head, *(body for _ in range(blocks)), b"</sheetData></worksheet>"]

    return _pack(_workbook(), chunks)


def one_wide_row() -> bytes:
    """No compression at all (so no ratio gives it away): one row of 1.5 million empty cells in 16 MB."""

    def chunks() -> list[bytes]:
        head = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
        return [head, *(b'<c r="A1"/>' * 100_000 for _ in range(15)), b"</row></sheetData></worksheet>"]

    return _pack(_workbook(), chunks, stored=True)


def too_many_texts() -> bytes:
    """1.1 million distinct shared strings (openpyxl keeps every one in memory), deflated to a few MB."""
    parts = _workbook()
    parts["xl/sharedStrings.xml"] = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + b"".join(b"<si><t>%d</t></si>" % i for i in range(1_100_000))
        + b"</sst>"
    )
    shared = (
        b'<Override PartName="/xl/sharedStrings.xml" '
        b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    )
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", shared + b"</Types>")
    return _pack(parts)


def _memory(pid: int, field: str) -> int:
    """VmRSS (now) or VmHWM (peak) of a process, in bytes."""
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE)
    assert match, status
    return int(match.group(1)) * 1024


@pytest.fixture(scope="module")
async def registry_process(amqp_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    namespace = new_namespace("sec")
    stack = Stack(tmp_path_factory.mktemp("registry"), amqp_url, namespace)
    try:
        await stack.start("registry")
        yield stack
    finally:
        stack.stop()
        await delete_namespace(amqp_url, namespace)


async def _import_watched(stack: Stack, content: bytes) -> tuple[httpx.Response, int]:
    """POST /imports with the file; answers the response and how far the process's peak memory grew."""
    pid = stack.processes["registry"].pid
    before = _memory(pid, "VmRSS")
    async with httpx.AsyncClient(base_url=stack.url("registry"), headers=OPERATOR, timeout=60) as client:
        upload = asyncio.create_task(
            client.post("/imports", files={"file": ("psks.xlsx", content)}, data={"kind": "workers"})
        )
        while not upload.done():
            if _memory(pid, "VmRSS") - before > RUNAWAY:
                stack.kill("registry")
                pytest.fail("the import ran away with the registry's memory (process killed)")
            await asyncio.sleep(0.05)
        response = upload.result()
    return response, _memory(pid, "VmHWM") - before


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (forged_dimension, None),
        (lambda: decompression_bomb(9), "unpacks to more than 160 MB"),
        (lambda: decompression_bomb(2), "zip bomb"),
        (one_wide_row, "more than 1000 cells"),
        (too_many_texts, "more than 1000000 distinct texts"),
    ],
    ids=["forged-dimension", "decompression-bomb-400mb", "decompression-bomb-90mb", "one-wide-row", "too-many-texts"],
)
async def test_a_hostile_workbook_is_refused_within_a_bounded_memory(
    registry_process: Stack, build: Callable[[], bytes], message: str | None
) -> None:
    content = build()
    assert len(content) < 20 * 2**20
    response, growth = await _import_watched(registry_process, content)
    if message is None:
        # The forged dimension hides a good two-row file: it imports as what it really holds.
        assert response.status_code == 202, response.text
        assert response.json()["total"] == 1
    else:
        assert response.status_code == 422, response.text
        assert message in response.json()["detail"]["message"]
    assert growth < GROWTH_BUDGET, f"peak memory grew by {growth // 2**20} MB"


def test_the_forged_file_is_small() -> None:
    assert len(forged_dimension()) < 8 * 1024
