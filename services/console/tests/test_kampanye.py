"""Kampanye, Sesi and Tindak lanjut against the real registry, outreach and console: seed 001's core (Gunungkidul,
August 2019) planned for two desa, previewed (nothing stored), confirmed, seen in the calendar, a move refused by
the scheduling rules in Indonesian next to the field, a session reported, its follow-up marked done — and
Bondowoso's operator refused every page of it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.async_api import async_playwright

from pilar_dev.browser import CHROMIUM_FLAGS, chromium, screenshots
from pilar_dev.testing import RunningApp, bearer, eventually
from pilar_runtime.mongo import Mongo
from pilar_runtime.timers import TimerPoller
from services.console.app import build
from services.console.tests.conftest import STRONG, Browser, Console, console_settings
from services.outreach.app import build as build_outreach
from services.outreach.handlers import timer_handlers
from services.outreach.settings import OutreachSettings
from services.registry.app import build as build_registry
from services.registry.settings import RegistrySettings

OPERATOR = bearer(role="district_operator", region="34.03", sub="op-registry")
KAMPUNG, REJOSARI = "34.03.13.2004", "34.03.12.2007"  # Kampung (Ngawen), Rejosari (Semin)
WORKERS = [
    ("PSM", "Sri Lestari", "34.03.13"),
    ("PSM", "Wahyuni", "34.03.12"),
    ("NARASUMBER", "Drs. Budi Santoso", "34.03"),
    ("NARASUMBER", "Suparno", "34.03"),
]


@dataclass
class Stack:
    console: Console
    workers: dict[str, str]  # name → id
    outreach: Mongo


@pytest.fixture
async def stack(stack_settings: dict[str, str], tmp_path: Path) -> AsyncIterator[Stack]:
    # The outreach timers stay still: a 2019 campaign would otherwise complete at the first poll.
    outreach = OutreachSettings(**stack_settings, timer_poll_seconds=3600, relay_poll_seconds=0.1)  # type: ignore[arg-type]
    registry = RegistrySettings.model_validate({**stack_settings, "relay_poll_seconds": 0.1})
    async with RunningApp(build_registry(registry)) as reg, RunningApp(build_outreach(outreach)) as out:
        settings = console_settings(stack_settings, tmp_path, registry_url=reg.url, outreach_url=out.url)
        async with RunningApp(build(settings)) as running:
            console_db = Mongo(settings.mongodb_url, settings.database)
            outreach_db = Mongo(outreach.mongodb_url, outreach.database)
            ids = {}
            async with httpx.AsyncClient(base_url=reg.url, timeout=30) as client:
                for role, name, region in WORKERS:
                    answer = await client.post(
                        "/workers", json={"role": role, "name": name, "region_code": region}, headers=OPERATOR
                    )
                    assert answer.status_code == 201, answer.text
                    ids[name] = answer.json()["id"]

            async def outreach_knows_them() -> bool:
                return await outreach_db.db.workers.count_documents({"_id": {"$in": list(ids.values())}}) == len(ids)

            await eventually(outreach_knows_them)
            yield Stack(Console(running.url, settings, console_db, ""), ids, outreach_db)
            await console_db.close()
            await outreach_db.close()


async def operators(console: Console, *accounts: tuple[str, str]) -> list[Browser]:
    """District operators of the given (region, e-mail), created by the first admin, signed in."""
    admin = console.browser()
    await admin.sign_in_for_good(*console.first_admin())
    signed_in = []
    for region, email in accounts:
        _, password = await admin.create_user(f"Operator {region}", email, "district_operator", region)
        browser = console.browser()
        await browser.sign_in_for_good(email, password)
        signed_in.append(browser)
    await admin.close()
    return signed_in


def error_of(page: str, field: str) -> str:
    found = re.search(rf'<p class="error" id="{re.escape(field)}-error">([^<]+)</p>', page)
    assert found, page
    return found.group(1)


async def test_seed_001_planned_previewed_confirmed_moved_reported_and_followed_up(stack: Stack) -> None:
    console, people = stack.console, stack.workers
    gk, bw = await operators(
        console, ("34.03", "operator@gunungkidulkab.example"), ("35.11", "operator@bondowosokab.example")
    )
    picker = await gk.get("/kampanye/baru")
    assert picker.status_code == 200 and '<option value="34.03.13">Ngawen</option>' in picker.text
    shown = await gk.get("/kampanye/baru?kecamatan=34.03.13&kecamatan=34.03.12")
    assert f'value="{KAMPUNG}"> Kampung' in shown.text and f'value="{REJOSARI}"> Rejosari' in shown.text
    assert "Drs. Budi Santoso" in shown.text and "Sri Lestari" in shown.text
    form = {
        "kecamatan": "34.03.13",
        "name": "Penyuluhan Sosial Penumbuhan WKSBM 2019",
        "topic": "penumbuhan WKSBM",
        "start_date": "2019-08-08",
        "end_date": "2019-08-15",
        "max_sessions_per_day": "2",
        "participants_per_session": "40",
        "new_wksbm": "2",
        "officers_per_session": "1",
        "narasumber_per_session": "1",
    }
    chosen = {
        "desa_codes": [KAMPUNG, REJOSARI],
        "officer_ids": [people["Sri Lestari"], people["Wahyuni"]],
        "narasumber_ids": [people["Drs. Budi Santoso"], people["Suparno"]],
    }
    no_desa = await gk.post("/kampanye/baru", {**form, **{k: v for k, v in chosen.items() if k != "desa_codes"}})
    assert no_desa.status_code == 422 and error_of(no_desa.text, "desa_codes") == "Pilih sedikitnya satu desa."
    # The service's own refusal stands next to the field it names, in Indonesian.
    zero = await gk.post("/kampanye/baru", {**form, **chosen, "max_sessions_per_day": "0"})
    assert zero.status_code == 422 and error_of(zero.text, "max_sessions_per_day") == "Nilai terlalu kecil."
    planned = await gk.post("/kampanye/baru", {**form, **chosen})
    assert planned.status_code == 303, planned.text
    campaign_path = planned.headers["location"]
    campaign_page = await gk.get(campaign_path)
    assert "Pratinjau jadwal" in campaign_page.text and "Kampung" in campaign_page.text

    # A period of one Sunday (Idul Adha besides) leaves the auto-scheduler no day: said in Indonesian, nothing placed.
    sunday = await gk.post("/kampanye/baru", {**form, **chosen, "start_date": "2019-08-11", "end_date": "2019-08-11"})
    impossible = await gk.get(f"{sunday.headers['location']}/pratinjau")
    assert impossible.status_code == 422
    assert (
        'role="alert">Jadwal tidak dapat disusun: hari kerja, petugas, atau narasumber tidak cukup' in impossible.text
    )

    preview = await gk.get(f"{campaign_path}/pratinjau")
    assert preview.status_code == 200 and "Konfirmasi jadwal" in preview.text
    assert "Kamis, 8 Agustus 2019" in preview.text and "09.00–12.00 WIB" in preview.text
    assert await stack.outreach.db.sessions.count_documents({}) == 0  # nothing stored, nobody invited yet
    assert (await gk.post(f"{campaign_path}/jadwal", {}, csrf=False)).status_code == 403
    confirmed = await gk.post(f"{campaign_path}/jadwal", {})
    assert confirmed.status_code == 303 and confirmed.headers["location"] == f"{campaign_path}?terjadwal=2"
    placed = await gk.get(confirmed.headers["location"])
    assert "2 sesi dijadwalkan" in placed.text
    session_ids = re.findall(r'href="/sesi/(ses_[0-9a-f]+)"', placed.text)
    assert len(set(session_ids)) == 2

    week = await gk.get("/kampanye/kalender?tampilan=minggu&tanggal=2019-08-08")
    month = await gk.get("/kampanye/kalender?tampilan=bulan&tanggal=2019-08-08")
    for view in (week, month):
        assert all(f'href="/sesi/{s}"' in view.text for s in session_ids), view.text
    assert "Agustus 2019" in month.text and '<th scope="row">Kamis, 8 Agustus 2019</th>' in week.text

    first, second = session_ids[:2]
    await gk.get(f"/sesi/{second}")
    holiday = await gk.post(f"/sesi/{second}/pindah", {"tanggal": "2019-08-12", "mulai": "09:00", "selesai": "12:00"})
    assert holiday.status_code == 303  # a working Monday inside the period
    idul_adha = await gk.post(f"/sesi/{second}/pindah", {"tanggal": "2019-08-11", "mulai": "09:00", "selesai": "12:00"})
    assert idul_adha.status_code == 409
    assert error_of(idul_adha.text, "tanggal") == "Tanggal tersebut hari libur nasional; pilih hari lain."
    late = await gk.post(f"/sesi/{second}/pindah", {"tanggal": "2019-08-20", "mulai": "09:00", "selesai": "12:00"})
    assert error_of(late.text, "tanggal") == "Tanggal berada di luar periode kampanye."

    report_page = await gk.get(f"/sesi/{first}/laporan")
    assert report_page.status_code == 200 and 'for="jumlah_tokoh_masyarakat">Tokoh masyarakat' in report_page.text
    report = {
        "held_on": "2019-08-08",
        "jumlah_tokoh_masyarakat": "8",
        "jumlah_kader": "10",
        "jumlah_psm": "5",
        "total": "24",
        "summary": "Peserta sepakat membentuk WKSBM.",
        "tindakan_1": "Menyusun SK pembentukan WKSBM",
        "pemilik_1": people["Sri Lestari"],
        "tenggat_1": "2019-08-30",
        "tindakan_2": "Rapat pengurus WKSBM",
        "pemilik_2": people["Wahyuni"],
        "tenggat_2": "2019-08-20",
    }
    assigned = re.findall(r'name="narasumber_present_ids" value="([^"]+)"', report_page.text)
    assert len(assigned) == 1  # the form offers the session's own narasumber
    chosen_report = {"narasumber_present_ids": assigned}
    wrong = await gk.post(f"/sesi/{first}/laporan", {**report, **chosen_report})
    assert wrong.status_code == 422
    assert error_of(wrong.text, "total") == "Jumlah menurut kategori (23) tidak sama dengan jumlah peserta (24)."
    no_owner = await gk.post(f"/sesi/{first}/laporan", {**report, "total": "23", "pemilik_1": ""})
    assert error_of(no_owner.text, "pemilik_1") == "Wajib diisi untuk tindak lanjut ini."
    reported = await gk.post(
        f"/sesi/{first}/laporan", {**report, "total": "23", "pilot_desa_codes": KAMPUNG, **chosen_report}
    )
    assert reported.status_code == 303, reported.text
    held = await gk.get(reported.headers["location"])
    assert "Laporan sesi telah disimpan." in held.text and "Terlaksana" in held.text
    again = await gk.post(f"/sesi/{first}/laporan", {**report, "total": "23"})
    assert again.status_code == 409 and 'role="alert">Laporan sesi ini sudah ada.<' in again.text

    # A held report is corrected with a reason; its follow-up, listed unchanged, is kept.
    correction = await gk.get(f"/sesi/{first}/laporan")
    assert "<h1>Perbaiki laporan sesi" in correction.text and 'id="total" name="total" type="number" value="23"' in (
        correction.text
    )
    amended = {**report, "total": "23", "summary": "Peserta sepakat membentuk WKSBM; SK disusun.", "perbaikan": "1"}
    no_reason = await gk.post(f"/sesi/{first}/laporan", {**amended, **chosen_report})
    assert error_of(no_reason.text, "alasan_perbaikan") == "Wajib diisi: sebutkan mengapa laporan diperbaiki."
    fixed = await gk.post(
        f"/sesi/{first}/laporan", {**amended, **chosen_report, "alasan_perbaikan": "ringkasan dilengkapi"}
    )
    assert fixed.status_code == 303 and fixed.headers["location"].endswith("diperbaiki=1"), fixed.text
    assert "SK disusun" in (await gk.get(fixed.headers["location"])).text

    open_list = await gk.get("/tindak-lanjut?status=berjalan")
    assert "Menyusun SK pembentukan WKSBM" in open_list.text and "Sri Lestari" in open_list.text
    followup = re.search(
        r'action="/tindak-lanjut/([^/"]+)/selesai"(?:(?!action=).)*?Tandai selesai: Menyusun SK', open_list.text, re.S
    )
    assert followup
    done = await gk.post(f"/tindak-lanjut/{followup.group(1)}/selesai", {"dari": "berjalan"})
    assert done.status_code == 303
    assert "Menyusun SK pembentukan WKSBM" in (await gk.get("/tindak-lanjut?status=selesai")).text
    assert "Menyusun SK" not in (await gk.get("/tindak-lanjut?status=berjalan")).text
    # Past its due date the other one is late (outreach's timer, on a clock of the test's own).
    timers = TimerPoller(
        stack.outreach, timer_handlers, service="outreach", clock=lambda: datetime(2019, 9, 1, tzinfo=UTC)
    )
    assert await timers.fire_due() >= 1
    late_list = await gk.get("/tindak-lanjut?status=terlambat")
    assert "Rapat pengurus WKSBM" in late_list.text and "Wahyuni" in late_list.text
    assert "Rapat pengurus" not in (await gk.get("/tindak-lanjut?status=berjalan")).text

    cancelled = await gk.post(f"/sesi/{second}/batal", {"alasan": "banjir"})
    assert cancelled.status_code == 303
    assert "<dd>Dibatalkan</dd>" in (await gk.get(f"/sesi/{second}")).text
    twice = await gk.post(f"/sesi/{second}/batal", {"alasan": "banjir"})
    assert twice.status_code == 409 and 'role="alert">Sesi ini sudah dibatalkan.<' in twice.text

    # Bondowoso's operator sees none of it: the service's 403 is an Indonesian page, never JSON.
    for path in (campaign_path, f"/sesi/{second}", f"/sesi/{second}/laporan", f"{campaign_path}/pratinjau"):
        refused = await bw.get(path)
        assert refused.status_code == 403, path
        assert "Data ini berada di luar wilayah atau kewenangan Anda." in refused.text and "{" not in refused.text
    moved = await bw.post(f"/sesi/{second}/pindah", {"tanggal": "2019-08-13", "mulai": "09:00", "selesai": "12:00"})
    assert moved.status_code == 403 and "di luar wilayah" in moved.text
    assert "Penyuluhan Sosial Penumbuhan WKSBM" not in (await bw.get("/kampanye")).text
    for browser in (gk, bw):
        await browser.close()


async def test_a_phone_plans_seed_001_for_two_desa_previews_confirms_and_reports(stack: Stack) -> None:
    """The main flow in a real browser on a phone's screen, by the pages' labels (the ones the README lists)."""
    console = stack.console
    gk, *_ = await operators(console, ("34.03", "operator@gunungkidulkab.example"))
    await gk.close()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_FLAGS)
        page = await browser.new_page(viewport={"width": 375, "height": 740})
        await page.goto(f"{console.url}/masuk")
        await page.get_by_label("E-mail").fill("operator@gunungkidulkab.example")
        await page.get_by_label("Kata sandi").fill(STRONG)
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{console.url}/")
        await page.get_by_role("link", name="Kampanye").click()
        await page.get_by_role("link", name="Rencanakan kampanye").click()
        for kecamatan in ("Ngawen", "Semin"):
            await page.get_by_label("Kecamatan", exact=True).select_option(label=kecamatan)
            await page.get_by_role("button", name="Tampilkan desa").click()
        await page.get_by_label("Kampung").check()
        await page.get_by_label("Rejosari").check()
        await page.get_by_label("Nama kampanye").fill("Penyuluhan Sosial Penumbuhan WKSBM 2019")
        await page.get_by_label("Topik").fill("penumbuhan WKSBM")
        await page.get_by_label("Tanggal mulai").fill("2019-08-08")
        await page.get_by_label("Tanggal selesai").fill("2019-08-15")
        await page.get_by_label("Peserta per sesi").fill("40")
        for person in ("Sri Lestari", "Wahyuni", "Drs. Budi Santoso", "Suparno"):
            await page.get_by_label(person).check()
        await page.get_by_role("button", name="Rencanakan kampanye").click()
        await page.get_by_role("link", name="Pratinjau jadwal").click()
        assert await page.get_by_role("heading", level=1).inner_text() == (
            "Pratinjau jadwal: Penyuluhan Sosial Penumbuhan WKSBM 2019"
        )
        assert await page.get_by_role("cell", name="Kamis, 8 Agustus 2019").count() == 2
        if folder := screenshots():
            await page.screenshot(path=str(folder / "kampanye.png"), full_page=True)
        await page.get_by_role("button", name="Konfirmasi jadwal").click()
        assert "2 sesi dijadwalkan" in await page.get_by_role("status").inner_text()
        await page.get_by_role("link", name="Kampung").click()
        await page.get_by_role("link", name="Laporkan sesi terlaksana").click()
        for category, count in (("Tokoh masyarakat", "8"), ("Kader", "10"), ("PSM", "5")):
            await page.get_by_label(category, exact=True).fill(count)
        assert await page.locator("#jumlah-kategori").inner_text() == "23"  # the running total
        await page.get_by_label("Jumlah peserta").fill("23")
        await page.locator("input[name=narasumber_present_ids]").first.check()
        await page.get_by_label("Ringkasan").fill("Peserta sepakat membentuk WKSBM Desa Kampung.")
        await page.get_by_label("Kampung").check()  # desa percontohan
        await page.get_by_label("Tindak lanjut 1").fill("Menyusun SK pembentukan WKSBM")
        await page.get_by_label("Penanggung jawab 1").select_option(label="Sri Lestari")
        await page.get_by_label("Batas waktu 1").fill("2019-08-30")
        if folder := screenshots():
            await page.screenshot(path=str(folder / "sesi.png"), full_page=True)
        await page.get_by_role("button", name="Simpan laporan").click()
        assert await page.get_by_role("status").inner_text() == "Laporan sesi telah disimpan."
        await browser.close()
