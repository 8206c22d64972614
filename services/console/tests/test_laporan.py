"""Laporan against the real services: an operator requests a campaign report and downloads its files, reporting's
refusals stand in Indonesian next to the field they concern, and another region's operator neither sees nor opens
the report."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import async_playwright

from pilar_dev.browser import CHROMIUM_FLAGS, chromium, screenshots
from services.console.tests.browsing import campaign_report_xlsx
from services.console.tests.conftest import STRONG
from services.console.tests.operations import Offices, json_free, offices, planned_campaign, until


@pytest.fixture(scope="module")
async def both(amqp_url: str, mongodb_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Offices]:
    async with offices(amqp_url, mongodb_url, tmp_path_factory.mktemp("laporan")) as found:
        yield found


@pytest.fixture(scope="module")
async def report_id(both: Offices) -> str:
    campaign_id = await planned_campaign(both)
    form = await both.operator.get("/laporan")
    assert form.status_code == 200 and f'value="{campaign_id}"' in form.text  # the campaign is offered
    asked = await both.operator.post("/laporan", {"kind": "campaign", "campaign_id": campaign_id})
    assert asked.status_code == 303, asked.text
    found = re.fullmatch(r"/laporan/(rpt_[\w]+)", asked.headers["location"])
    assert found, asked.headers["location"]
    return found.group(1)


async def test_an_operator_requests_a_campaign_report_and_downloads_its_files(both: Offices, report_id: str) -> None:
    done = await until(both.operator, f"/laporan/{report_id}", '<dd id="status">Selesai</dd>')
    assert "Laporan kampanye" in done.text and "Gunungkidul (34.03)" in done.text
    for fmt, media in (("xlsx", "spreadsheetml"), ("pdf", "application/pdf"), ("csv", "text/csv")):
        assert f"/laporan/{report_id}/unduh?format={fmt}" in done.text
        file = await both.operator.get(f"/laporan/{report_id}/unduh?format={fmt}")
        assert file.status_code == 200 and media in file.headers["content-type"], file.headers
        assert file.headers["content-disposition"] == f'attachment; filename="{report_id}.{fmt}"'
        assert len(file.content) > 100
    assert (await both.operator.get(f"/laporan/{report_id}/unduh?format=xlsx")).content[:2] == b"PK"
    listed = await both.operator.get("/laporan")
    assert f'href="/laporan/{report_id}"' in listed.text


async def test_a_refusal_stands_next_to_its_field_in_indonesian(both: Offices) -> None:
    await both.operator.get("/laporan")
    form = {"kind": "monthly_district", "region_code": "34.03", "period_start": "2026-08-31"}
    refused = json_free(await both.operator.post("/laporan", {**form, "period_end": "2026-08-01"}))
    assert refused.status_code == 422
    assert '<p class="error" id="period_end-error">Tanggal akhir tidak boleh sebelum tanggal mulai.</p>' in refused.text
    assert 'value="2026-08-31"' in refused.text  # what was typed stays
    no_campaign = json_free(await both.operator.post("/laporan", {"kind": "campaign", "campaign_id": ""}))
    assert '<p class="error" id="campaign_id-error">Pilih kampanye.</p>' in no_campaign.text
    outside = json_free(
        await both.operator.post("/laporan", {**form, "region_code": "35.11", "period_end": "2026-08-31"})
    )
    assert "Data ini berada di luar wilayah atau kewenangan Anda." in outside.text
    forged = await both.operator.post("/laporan", {**form, "period_end": "2026-08-31"}, csrf=False)
    assert forged.status_code == 403 and "Formulir kedaluwarsa" in forged.text


async def test_another_regions_operator_neither_sees_nor_opens_the_report(both: Offices, report_id: str) -> None:
    listed = await both.other.get("/laporan")
    assert listed.status_code == 200 and report_id not in listed.text
    for path in (f"/laporan/{report_id}", f"/laporan/{report_id}/unduh?format=pdf"):
        refused = json_free(await both.other.get(path))
        assert refused.status_code == 403, path
        assert "Data ini berada di luar wilayah atau kewenangan Anda." in refused.text
    missing = json_free(await both.other.get("/laporan/rpt_tidak_ada"))
    assert missing.status_code == 404 and "Data tidak ditemukan." in missing.text


async def test_in_a_browser_an_operator_requests_a_campaign_report_and_downloads_it(both: Offices) -> None:
    """Phone-sized, by the labelled fields: sign in, Laporan, ask for the campaign's report, download its XLSX."""
    campaign_id = await planned_campaign(both)
    await both.operator.get("/notifikasi/aturan/baru")  # a rule, so the Notifikasi screenshot shows one
    rule = {"event_pattern": "outreach.session_*", "region_code": "34.03", "channel": "email", "recipients": "officers"}
    assert (await both.operator.post("/notifikasi/aturan/baru", rule)).status_code == 303
    url = both.console.url
    requested: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_FLAGS)
        page = await browser.new_page(viewport={"width": 375, "height": 740}, accept_downloads=True)
        page.on("request", lambda request: requested.append(request.url))
        await page.goto(f"{url}/masuk")
        await page.get_by_label("E-mail").fill(both.operator_email)
        await page.get_by_label("Kata sandi").fill(STRONG)
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{url}/")
        await page.get_by_role("link", name="Laporan").click()
        await page.wait_for_url(f"{url}/laporan")
        _, xlsx = await campaign_report_xlsx(page, url, campaign_id)
        assert xlsx[:2] == b"PK"
        await page.goto(f"{url}/laporan")
        if folder := screenshots():
            await page.screenshot(path=str(folder / "laporan.png"), full_page=True)
        await page.get_by_role("link", name="Notifikasi").click()
        await page.wait_for_url(f"{url}/notifikasi")
        assert await page.get_by_text("outreach.session_*", exact=True).count() == 1
        if folder := screenshots():
            await page.screenshot(path=str(folder / "notifikasi.png"), full_page=True)
        await browser.close()
    assert requested and all(r.startswith(url) for r in requested), requested
