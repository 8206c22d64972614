"""A person in a real browser (Debian's chromium, driven by Playwright; nothing downloaded): signs in with the first
admin's one-time password, chooses their own, and reaches Beranda — by labelled fields and the keyboard, with every
request going to the console itself."""

from __future__ import annotations

from playwright.async_api import async_playwright

from pilar_dev.browser import CHROMIUM_FLAGS, chromium
from services.console.tests.conftest import STRONG, Console


async def test_first_sign_in_changes_the_password_and_shows_beranda(console: Console) -> None:
    email, one_time = console.first_admin()
    requested: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_FLAGS)
        page = await browser.new_page(viewport={"width": 375, "height": 740})  # a phone
        page.on("request", lambda request: requested.append(request.url))
        await page.goto(f"{console.url}/")
        assert page.url == f"{console.url}/masuk"
        await page.get_by_label("E-mail").fill(email)
        await page.get_by_label("Kata sandi").fill(one_time)
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{console.url}/kata-sandi")
        await page.get_by_label("Kata sandi saat ini").fill(one_time)
        await page.get_by_label("Kata sandi baru", exact=True).fill("pendek")
        await page.get_by_label("Ulangi kata sandi baru").fill("pendek")
        await page.get_by_role("button", name="Simpan kata sandi").click()
        # The refusal stands next to its field, and the field says so to a screen reader.
        error = page.locator("#new_password-error")
        assert await error.inner_text() == "Kata sandi minimal 10 karakter."
        assert await page.get_by_label("Kata sandi baru", exact=True).get_attribute("aria-invalid") == "true"
        await page.get_by_label("Kata sandi saat ini").fill(one_time)
        await page.get_by_label("Kata sandi baru", exact=True).fill(STRONG)
        await page.get_by_label("Ulangi kata sandi baru").fill(STRONG)
        await page.get_by_role("button", name="Simpan kata sandi").click()
        await page.wait_for_url(f"{console.url}/?kata_sandi=diubah")
        assert await page.get_by_role("heading", level=1).inner_text() == "Beranda"
        assert await page.get_by_role("status").inner_text() == "Kata sandi Anda telah diubah."
        # The skip link is the first stop of the keyboard and leads to the content.
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.textContent") == "Langsung ke isi"
        await page.get_by_role("link", name="Admin").click()
        await page.wait_for_url(f"{console.url}/admin/pengguna")
        assert await page.get_by_role("cell", name="Admin", exact=True).count() >= 1
        await browser.close()
    assert requested and all(url.startswith(console.url) for url in requested), requested
