"""Steps the console's browser tests share."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from playwright.async_api import Page


async def campaign_report_xlsx(page: Page, url: str, campaign_id: str) -> tuple[str, bytes]:
    """On Laporan: ask for the campaign's report, wait until it is built, download its XLSX; its id and the file."""
    await page.goto(f"{url}/laporan")
    await page.get_by_label("Jenis laporan").select_option("campaign")
    await page.get_by_label("Kampanye", exact=True).select_option(campaign_id)
    await page.get_by_role("button", name="Minta laporan").click()
    await page.wait_for_url(re.compile(rf"{re.escape(url)}/laporan/rpt_\w+$"))
    report_id = page.url.rsplit("/", 1)[1]
    for _ in range(100):
        if await page.locator("#status").inner_text() == "Selesai":
            break
        await page.wait_for_timeout(100)
        await page.reload()
    else:
        raise AssertionError("the campaign report was never built")
    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="Unduh Excel (XLSX)").click()
    download = await downloading.value
    assert download.suggested_filename == f"{report_id}.xlsx"
    return report_id, await asyncio.to_thread(Path(str(await download.path())).read_bytes)
