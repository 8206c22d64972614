"""Petugas pages against the real registry: register and edit a worker (a refusal next to its field), another
region's operator refused in Indonesian, and a bulk import followed to its per-row errors."""

from __future__ import annotations

import re

from pilar_dev.testing import eventually
from services.console.tests.conftest import Stack

ROWS = (
    b"role,name,region_code,nik,phone\n"
    b"PSM,Sumarni,34.03.13.2004,,081234567001\n"
    b"TKSK,Joko Susilo,34.03.13,,081234567002\n"
    b"PSM,Tugiyem,34.03.13.2004,,12\n"
)


async def test_an_operator_registers_and_edits_a_worker(stack: Stack) -> None:
    operator = await stack.operator("34.03", "Operator Gunungkidul")
    other = await stack.operator("35.11", "Operator Bondowoso")
    assert "<h1>Petugas</h1>" in (await operator.get("/petugas")).text
    await operator.get("/petugas/baru")
    worker = {"role": "TKSK", "name": "Joko Susilo", "region_code": "34.03.13", "phone": "12", "active": "ya"}
    bad = await operator.post("/petugas/baru", worker)
    assert bad.status_code == 422 and re.search(r'id="phone-error">Nomor telepon harus 8–15 angka', bad.text)
    assert "Joko Susilo" in bad.text  # the form keeps what was typed
    created = await operator.post("/petugas/baru", {**worker, "phone": "0812-3456-7002"})
    assert created.status_code == 303, created.text
    path = created.headers["location"].split("?")[0]
    shown = await operator.get(created.headers["location"])
    assert "Petugas terdaftar." in shown.text and 'value="081234567002"' in shown.text
    # A viewer of the region sees the phone masked, and no form to change it.
    viewer = await stack.operator("34.03", "Pengamat Gunungkidul", role="viewer")
    seen = await viewer.get(path)
    assert 'value="*********002"' in seen.text and "Simpan perubahan" not in seen.text and " disabled>" in seen.text
    assert "Daftarkan petugas" not in (await viewer.get("/petugas")).text
    await viewer.close()
    changed = await operator.post(path, {**worker, "phone": "", "active": "tidak"})
    assert changed.status_code == 303
    after = await operator.get(path)
    assert 'value="081234567002"' not in after.text and '<option value="tidak" selected>' in after.text
    listed = await operator.get("/petugas?role=TKSK&active=false")
    assert path in listed.text
    assert path not in (await other.get("/petugas")).text
    foreign = await other.get(path)
    assert foreign.status_code == 403 and "di luar wilayah" in foreign.text
    assert (await other.post(path, worker)).status_code == 403
    await operator.close()
    await other.close()


async def test_an_import_shows_its_progress_then_the_rows_refused(stack: Stack) -> None:
    operator = await stack.operator("34.03", "Operator Gunungkidul")
    form = await operator.get("/petugas/impor")
    assert 'enctype="multipart/form-data"' in form.text and 'label for="file"' in form.text
    nothing = await operator.http.post("/petugas/impor", data={"csrf": operator.csrf, "kind": "workers"})
    assert nothing.status_code == 422 and "Pilih berkas CSV atau XLSX." in nothing.text
    empty = await operator.http.post(
        "/petugas/impor", data={"csrf": operator.csrf, "kind": "workers"}, files={"file": ("kosong.csv", b"")}
    )
    assert empty.status_code == 422 and 'id="file-error"' in empty.text
    started = await operator.http.post(
        "/petugas/impor", data={"csrf": operator.csrf, "kind": "workers"}, files={"file": ("petugas.csv", ROWS)}
    )
    assert started.status_code == 303, started.text
    job_path = started.headers["location"]
    first = await operator.get(job_path)
    assert "<progress" in first.text and ('http-equiv="refresh"' in first.text) == ("Sedang diimpor" in first.text)

    async def done() -> bool:
        return "Selesai." in (await operator.get(job_path)).text

    await eventually(done, what="the import to finish")
    page = await operator.get(job_path)
    assert 'value="100"' in page.text and "http-equiv" not in page.text
    assert re.search(r'id="jumlah-diimpor">2<', page.text) and re.search(r'id="jumlah-gagal">1<', page.text)
    assert re.search(r"<td>4</td><td>phone</td><td>Nomor telepon harus 8–15 angka", page.text), page.text
    assert "petugas.csv" in (await operator.get("/petugas/impor")).text
    await operator.close()
