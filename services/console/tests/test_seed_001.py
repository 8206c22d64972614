"""Seed 001 walked through the console in Debian's chromium: Dinas Sosial DIY's penyuluhan on WKSBM in ten desa of
Gunungkidul, 8 to 15 August 2019, two locations a day, 40 participants and three narasumber each, ten WKSBM formed
with complete boards — then the campaign report downloaded, and Bondowoso's operator sees none of it.

The real dates are kept (outreach plans a past programme; its timers stand still here, or the campaign would
complete before its schedule is confirmed). The first session report and the first WKSBM go through the browser by
the pages' labels; the other nine of each through the same pages' forms over HTTP (same session cookie handling,
same CSRF tokens), which keeps the module within its budget."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator

import httpx
import openpyxl
import pytest
from playwright.async_api import Page, async_playwright

from contracts.events.common import PARTICIPANT_CATEGORY_LABELS
from pilar_dev.browser import CHROMIUM_FLAGS, chromium, screenshots
from pilar_dev.testing import bearer, eventually
from pilar_runtime import regions
from services.console.tests.browsing import campaign_report_xlsx
from services.console.tests.conftest import STRONG, Browser, Stack, four_services

CAMPAIGN = "Penyuluhan Sosial Tingkat Desa: Penumbuhan WKSBM 2019"
# The ten desa by kecamatan, as the seed names them.
DESA = {
    "Ngawen": ["Kampung"],
    "Semin": ["Rejosari"],
    "Patuk": ["Salam", "Pengkok"],
    "Wonosari": ["Wareng"],
    "Semanu": ["Candirejo"],
    "Girisubo": ["Nglindur", "Jerukwudel"],
    "Paliyan": ["Grogol", "Pampang"],
}
OFFICERS = ["Budhi Wibowo", "Sri Sumarni", "Agus Triyanto", "Endang Lestari"]  # penyuluh sosial of the office
NARASUMBER = ["Nuryuwono", "Suprapti", "Kristianto", "Prih Wardoyo"]  # the seed's practitioners
# Forty participants a location, by the seed's categories (the form labels them as contracts' table does).
ATTENDANCE = {
    "tokoh_masyarakat": 8,
    "tokoh_agama": 5,
    "perangkat_desa": 6,
    "pendamping_pkh": 4,
    "kader": 9,
    "tksk": 3,
    "psm": 5,
}
FORMED_ON = "2019-08-19"  # the seed's report: ten WKSBM formed by then
OUTSIDE = "Data ini berada di luar wilayah atau kewenangan Anda."


@pytest.fixture(scope="module")
async def stack(amqp_url: str, mongodb_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    async with four_services(
        amqp_url, mongodb_url, tmp_path_factory.mktemp("seed001"), timer_poll_seconds=3600
    ) as started:
        yield started


async def register_people(stack: Stack, operator: Browser) -> None:
    """The office's officers and narasumber, through the Petugas form; once outreach has learnt them from registry."""
    for role, names in (("PENYULUH_SOSIAL", OFFICERS), ("NARASUMBER", NARASUMBER)):
        for name in names:
            await operator.get("/petugas/baru")
            form = {"role": role, "name": name, "region_code": "34.03", "active": "ya"}
            created = await operator.post("/petugas/baru", form)
            assert created.status_code == 303, created.text

    async def outreach_knows_them() -> bool:
        return await stack.outreach_mongo.db.workers.count_documents({}) == len(OFFICERS) + len(NARASUMBER)

    await eventually(outreach_knows_them, what="outreach to learn the workers")


async def sign_in(page: Page, url: str, email: str) -> None:
    await page.goto(f"{url}/masuk")
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label("Kata sandi").fill(STRONG)
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{url}/")


async def plan_preview_confirm(page: Page) -> str:
    """Plan the campaign by kecamatan and desa, check the preview's two locations a day, confirm: its path."""
    await page.get_by_role("link", name="Kampanye", exact=True).click()
    await page.get_by_role("link", name="Rencanakan kampanye").click()
    for kecamatan in DESA:
        await page.get_by_label("Kecamatan", exact=True).select_option(label=kecamatan)
        await page.get_by_role("button", name="Tampilkan desa").click()
    for kecamatan, names in DESA.items():  # by kecamatan: Semin has a Candirejo too
        group = page.get_by_role("group", name=f"Desa di Kecamatan {kecamatan}")
        for desa in names:
            await group.get_by_label(desa, exact=True).check()
    await page.get_by_label("Nama kampanye").fill(CAMPAIGN)
    await page.get_by_label("Topik").fill("penumbuhan WKSBM")
    await page.get_by_label("Tanggal mulai").fill("2019-08-08")
    await page.get_by_label("Tanggal selesai").fill("2019-08-15")
    await page.get_by_label("Peserta per sesi").fill("40")
    await page.get_by_label("Target WKSBM baru").fill("10")
    for person in OFFICERS + NARASUMBER:
        await page.get_by_label(person, exact=True).check()
    await page.get_by_label("Petugas per sesi").fill("2")
    await page.get_by_label("Narasumber per sesi").fill("3")
    await page.get_by_role("button", name="Rencanakan kampanye").click()
    await page.wait_for_url(re.compile(r"/kampanye/cmp_\w+$"))
    campaign_path = "/" + page.url.split("/", 3)[3]
    await page.get_by_role("link", name="Pratinjau jadwal").click()
    # Two locations a day, a morning and an afternoon, from Thursday 8 August; Sunday 11 August (Idul Adha) skipped.
    for day in ("Kamis, 8", "Jumat, 9", "Sabtu, 10", "Senin, 12", "Selasa, 13"):
        assert await page.get_by_role("cell", name=f"{day} Agustus 2019").count() == 2, day
    assert await page.get_by_role("cell", name="Minggu, 11 Agustus 2019").count() == 0
    assert await page.locator("tbody tr").count() == 10
    await page.get_by_role("button", name="Konfirmasi jadwal").click()
    assert "10 sesi dijadwalkan" in await page.get_by_role("status").inner_text()
    return campaign_path


async def sessions_by_desa(operator: Browser, campaign_path: str) -> dict[str, str]:
    page = (await operator.get(campaign_path)).text
    found = dict((desa, session) for session, desa in re.findall(r'<a href="/sesi/(ses_\w+)">([^<]+)</a>', page))
    assert sorted(found) == sorted(d for names in DESA.values() for d in names), page
    return found


async def report_in_browser(page: Page, url: str, campaign_path: str) -> None:
    await page.goto(f"{url}{campaign_path}")
    await page.get_by_role("link", name="Kampung", exact=True).click()
    await page.get_by_role("link", name="Laporkan sesi terlaksana").click()
    for category, count in ATTENDANCE.items():
        await page.get_by_label(PARTICIPANT_CATEGORY_LABELS[category], exact=True).fill(str(count))
    assert await page.locator("#jumlah-kategori").inner_text() == "40"  # the running total adds up
    await page.get_by_label("Jumlah peserta").fill("40")
    boxes = page.locator("input[name=narasumber_present_ids]")
    assert await boxes.count() == 3  # the session's three narasumber, all present
    for n in range(3):
        await boxes.nth(n).check()
    await page.get_by_label("Ringkasan").fill("Peserta sepakat menumbuhkan WKSBM Desa Kampung; lesehan dan diskusi.")
    await page.get_by_role("button", name="Simpan laporan").click()
    assert await page.get_by_role("status").inner_text() == "Laporan sesi telah disimpan."


async def report_over_http(operator: Browser, session_id: str, desa: str) -> None:
    form = (await operator.get(f"/sesi/{session_id}/laporan")).text
    held_on = re.search(r'name="held_on" type="date" value="([^"]+)"', form)
    present = re.findall(r'name="narasumber_present_ids" value="([^"]+)"', form)
    assert held_on and len(present) == 3, form
    body: dict[str, str | list[str]] = {f"jumlah_{c}": str(n) for c, n in ATTENDANCE.items()}
    body |= {"held_on": held_on.group(1), "total": "40", "narasumber_present_ids": present}
    body["summary"] = f"Peserta sepakat menumbuhkan WKSBM Desa {desa}."
    reported = await operator.post(f"/sesi/{session_id}/laporan", body)
    assert reported.status_code == 303, reported.text


async def member_of(operator: Browser, desa: str, code: str) -> str:
    """A pranata sosial of the desa, through the Lembaga form: the member institution a WKSBM needs."""
    await operator.get("/lembaga/baru")
    form = {"kind": "PRANATA_SOSIAL", "name": f"Kelompok Arisan Dasawisma {desa}", "region_code": code}
    created = await operator.post("/lembaga/baru", {**form, "status": "active", "rows": "0"})
    assert created.status_code == 303, created.text
    return str(created.headers["location"]).rsplit("/", 1)[1]


def board(desa: str) -> dict[str, str]:
    """A complete board: ketua, sekretaris, bendahara, and one anggota."""
    rows = {"rows": "4"}
    for n, seat in enumerate(("ketua", "sekretaris", "bendahara", "anggota")):
        rows |= {f"board.{n}.role": seat, f"board.{n}.name": f"{seat.title()} WKSBM {desa}"}
    return rows


async def form_wksbm_over_http(
    operator: Browser, desa: str, code: str, campaign_id: str, session_id: str, member_id: str
) -> str:
    await operator.get("/lembaga/baru")
    fields = {"kind": "WKSBM", "name": f"WKSBM {desa}", "region_code": code, "status": "initiated"}
    created = await operator.post("/lembaga/baru", {**fields, **board(desa)})
    assert created.status_code == 303, created.text
    path = str(created.headers["location"])
    await operator.get(f"{path}/anggota")
    assert (await operator.post(f"{path}/anggota", {"member_ids": member_id})).status_code == 303
    await operator.get(f"{path}/penumbuhan")
    cited = {"formed_on": FORMED_ON, "campaign_id": campaign_id, "session_id": session_id}
    formed = await operator.post(f"{path}/penumbuhan", cited)
    assert formed.status_code == 303, formed.text
    record = (await operator.get(path)).text
    assert 'id="status-lembaga">Aktif<' in record and f"Kampanye: {CAMPAIGN} (" in record, record
    return path


async def form_wksbm_in_browser(page: Page, url: str, code: str, campaign_id: str, session_id: str) -> str:
    await page.goto(f"{url}/lembaga")
    await page.get_by_role("link", name="Daftarkan lembaga").click()
    await page.get_by_label("Jenis lembaga").select_option("WKSBM")
    await page.get_by_label("Nama lembaga").fill("WKSBM Kampung")
    await page.get_by_label("Kode wilayah (desa)").fill(code)
    for row, name in enumerate(("Sutrisno", "Wahyuni", "Sri Lestari", "Suparno"), start=1):
        await page.get_by_label(f"Nama pengurus {row}", exact=True).fill(name)
    await page.get_by_label("Jabatan 4", exact=True).fill("anggota")
    await page.get_by_role("button", name="Daftarkan", exact=True).click()
    await page.wait_for_url(re.compile(r"/lembaga/ins_\w+"))
    assert await page.locator("#status-lembaga").inner_text() == "Rintisan"
    path = "/" + page.url.split("/", 3)[3].split("?")[0]
    await page.get_by_role("link", name="Ubah anggota").click()
    await page.get_by_label("Kelompok Arisan Dasawisma Kampung (Pranata Sosial)").check()
    await page.get_by_role("button", name="Simpan anggota").click()
    await page.get_by_role("link", name="Penumbuhan").click()
    await page.get_by_label("Tanggal penumbuhan").fill(FORMED_ON)
    await page.get_by_label("Kampanye").select_option(campaign_id)
    await page.get_by_label("Sesi").select_option(session_id)
    await page.get_by_role("button", name="Tumbuhkan lembaga").click()
    await page.wait_for_url(re.compile(r"diubah=penumbuhan"))
    assert await page.locator("#status-lembaga").inner_text() == "Aktif"
    return path


async def report_downloaded(page: Page, url: str, campaign_id: str) -> str:
    """Ask for the campaign report on Laporan, wait until built, download its XLSX: the report's id."""
    report_id, xlsx = await campaign_report_xlsx(page, url, campaign_id)
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    cells = {str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value is not None}
    assert CAMPAIGN in cells and "400" in cells, sorted(cells)  # the ten sessions' 40 participants
    return report_id


def desa_codes() -> dict[str, str]:
    """The ten desa's Kemendagri codes, from the tree the desa picker shows."""
    found: dict[str, str] = {}
    for kecamatan in regions.children("34.03"):
        found |= {d.name: d.code for d in regions.children(kecamatan.code) if d.name in DESA.get(kecamatan.name, ())}
    assert len(found) == 10, found
    return found


async def campaign_reached(stack: Stack, campaign_id: str) -> None:
    """Reporting has the ten sessions held (the report counts them)."""
    async with httpx.AsyncClient(timeout=10) as http:

        async def all_held() -> bool:
            progress = await http.get(
                f"{stack.console.reporting_url}/campaigns/{campaign_id}/progress", headers=bearer("viewer", "34.03")
            )
            return progress.status_code == 200 and progress.json()["sessions"].get("held") == 10

        await eventually(all_held, what="reporting to count the ten sessions held")


async def test_seed_001_walked_through_the_console(stack: Stack) -> None:
    operator = await stack.operator("34.03", "Operator Gunungkidul")  # the admin made the account
    await register_people(stack, operator)
    url = stack.console.url
    requested: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_FLAGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 800}, accept_downloads=True)
        page.on("request", lambda request: requested.append(request.url))
        await sign_in(page, url, "operator.gunungkidul@dinsos.example")
        campaign_path = await plan_preview_confirm(page)
        campaign_id = campaign_path.rsplit("/", 1)[1]
        await page.goto(f"{url}/kampanye/kalender?tampilan=bulan&tanggal=2019-08-08")
        if folder := screenshots():
            await page.screenshot(path=str(folder / "kampanye-kalender.png"), full_page=True)

        sessions = await sessions_by_desa(operator, campaign_path)
        await report_in_browser(page, url, campaign_path)
        for desa, session_id in sessions.items():
            if desa != "Kampung":
                await report_over_http(operator, session_id, desa)
        held = (await operator.get("/sesi?status=held")).text
        assert all(f'href="/sesi/{s}"' in held for s in sessions.values())

        codes = desa_codes()
        members = {desa: await member_of(operator, desa, codes[desa]) for desa in sessions}

        async def registry_knows_the_sessions() -> bool:
            return await stack.registry_mongo.db.sessions.count_documents({}) == len(sessions)

        await eventually(registry_knows_the_sessions, what="the registry to learn the sessions")
        formed = [await form_wksbm_in_browser(page, url, codes["Kampung"], campaign_id, sessions["Kampung"])]
        for desa, session_id in sessions.items():
            if desa != "Kampung":
                formed.append(
                    await form_wksbm_over_http(operator, desa, codes[desa], campaign_id, session_id, members[desa])
                )
        listed = (await operator.get("/lembaga?kind=WKSBM&status=active")).text
        assert all(path in listed for path in formed), listed

        await campaign_reached(stack, campaign_id)
        report_id = await report_downloaded(page, url, campaign_id)
        pdf = await operator.get(f"/laporan/{report_id}/unduh?format=pdf")
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
        await page.goto(f"{url}/")
        if folder := screenshots():
            await page.screenshot(path=str(folder / "beranda.png"), full_page=True)

        # Bondowoso's operator, in a browser of their own, sees none of it.
        await (await stack.operator("35.11", "Operator Bondowoso")).close()
        other = await browser.new_page(viewport={"width": 375, "height": 740})
        await sign_in(other, url, "operator.bondowoso@dinsos.example")
        await other.goto(f"{url}{campaign_path}")
        assert await other.get_by_text(OUTSIDE).count() == 1
        await other.goto(f"{url}/kampanye")
        assert await other.get_by_text(CAMPAIGN).count() == 0
        await browser.close()
    assert requested and all(r.startswith(url) for r in requested), requested

    bondowoso = await stack.operator("35.11", "Operator Bondowoso")
    for listing in ("/kampanye", "/sesi?status=held", "/sesi?status=scheduled", "/lembaga?kind=WKSBM", "/laporan"):
        shown = await bondowoso.get(listing)
        assert shown.status_code == 200 and campaign_id not in shown.text and "WKSBM Kampung" not in shown.text
        assert not any(s in shown.text for s in sessions.values()) and report_id not in shown.text, listing
        assert not any(path in shown.text for path in formed), listing
    direct = [campaign_path, f"{campaign_path}/pratinjau", f"/sesi/{sessions['Salam']}", *formed[:2]]
    for path in [*direct, f"/sesi/{sessions['Salam']}/laporan", f"/laporan/{report_id}"]:
        refused = await bondowoso.get(path)
        assert refused.status_code == 403 and OUTSIDE in refused.text and "<html" in refused.text, path
        assert refused.headers["content-type"].startswith("text/html") and '"status"' not in refused.text
    download = await bondowoso.get(f"/laporan/{report_id}/unduh?format=xlsx")
    assert download.status_code == 403 and download.content[:2] != b"PK"
    missing = await bondowoso.get("/laporan/rpt_tidak_ada")
    assert missing.status_code == 404 and "Data tidak ditemukan." in missing.text
    for browser_ in (operator, bondowoso):
        await browser_.close()
