"""The operations page's dead letters against the real services: notify's DLQ listed per service with type and
reason, one letter and then all sent again (CSRF forms) with the outcome in Indonesian; other roles are refused."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import pytest
from playwright.async_api import async_playwright

from contracts import topology
from pilar_dev.browser import CHROMIUM_FLAGS, chromium, screenshots
from pilar_runtime.brokerusers import broker_user
from pilar_runtime.consumer import REASON_HEADER, ROUTING_KEY_HEADER, USER_HEADER
from services.console.tests.conftest import STRONG
from services.console.tests.operations import Offices, json_free, offices
from tests.runtime.test_dead_letters import wksbm_formed


@pytest.fixture(scope="module")
async def both(amqp_url: str, mongodb_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Offices]:
    async with offices(amqp_url, mongodb_url, tmp_path_factory.mktemp("operasi")) as found:
        yield found


async def dead_letter(amqp_url: str, namespace: str, body: bytes, message_id: str, headers: dict[str, Any]) -> None:
    """A letter in notify's DLQ as its consumer leaves one (the tests' stack runs as one broker user)."""
    async with await aio_pika.connect(amqp_url) as connection:
        channel = await connection.channel(publisher_confirms=True)
        dlx = await channel.get_exchange(topology.namespaced(topology.DEAD_LETTER_EXCHANGE, namespace))
        message = aio_pika.Message(
            body, message_id=message_id, type="WKSBM_formed", user_id=broker_user(amqp_url), headers=headers
        )
        await dlx.publish(message, routing_key=topology.namespaced("notify", namespace))


async def test_the_admin_sees_notifys_dead_letters_and_sends_them_again(both: Offices, amqp_url: str) -> None:
    namespace = both.console.settings.namespace
    event = wksbm_formed()
    original = {ROUTING_KEY_HEADER: event.routing_key, USER_HEADER: broker_user(amqp_url)}
    await dead_letter(amqp_url, namespace, event.to_json(), str(event.event_id), {**original, REASON_HEADER: "boom"})
    await dead_letter(amqp_url, namespace, b"rusak", "rusak-1", {**original, REASON_HEADER: "not JSON: rusak"})

    shown = json_free(await both.admin.get("/admin/operasi"))
    notify = re.search(r'<div class="table-wrap" id="surat-mati-notify">(.*?)</div>', shown.text, re.S)
    assert notify, shown.text
    assert "Notifikasi: 2 surat mati" in notify.group(1) and "WKSBM_formed" in notify.group(1)
    assert "boom" in notify.group(1) and "not JSON: rusak" in notify.group(1)
    assert f'value="{event.event_id}"' in notify.group(1)

    one = await both.admin.post("/admin/operasi/surat-mati/notify/kirim-ulang", {"message_id": str(event.event_id)})
    assert one.status_code == 303, one.text
    after = await both.admin.get(one.headers["location"])  # its notice is role="status", which json_free refuses
    assert "Surat mati Notifikasi dikirim ulang: 1 berhasil diproses, 0 gagal lagi" in after.text
    assert f'value="{event.event_id}"' not in after.text and 'value="rusak-1"' in after.text

    every = await both.admin.post("/admin/operasi/surat-mati/notify/kirim-ulang", {})
    again = await both.admin.get(every.headers["location"])
    assert "0 berhasil diproses, 1 gagal lagi (tetap di DLQ dengan alasan barunya)" in again.text
    assert 'value="rusak-1"' in again.text and "not JSON" in again.text

    refused = json_free(await both.operator.post("/admin/operasi/surat-mati/notify/kirim-ulang", {}))
    assert refused.status_code == 403 and "Anda tidak berwenang membuka halaman ini." in refused.text
    unknown = json_free(await both.admin.post("/admin/operasi/surat-mati/console/kirim-ulang", {}))
    assert unknown.status_code == 404 and "Layanan tidak dikenal." in unknown.text


async def test_in_a_browser_the_admin_sends_one_dead_letter_again(both: Offices, amqp_url: str) -> None:
    """Phone-sized, by the keyboard and labelled buttons: sign in, Operasi layanan, Kirim ulang one letter."""
    event = wksbm_formed()
    original = {ROUTING_KEY_HEADER: event.routing_key, USER_HEADER: broker_user(amqp_url), REASON_HEADER: "boom"}
    await dead_letter(amqp_url, both.console.settings.namespace, event.to_json(), str(event.event_id), original)
    url = both.console.url
    requested: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_FLAGS)
        page = await browser.new_page(viewport={"width": 375, "height": 740})
        page.on("request", lambda request: requested.append(request.url))
        await page.goto(f"{url}/masuk")
        await page.get_by_label("E-mail").fill(both.console.first_admin()[0])
        await page.get_by_label("Kata sandi").fill(STRONG)
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{url}/")
        await page.goto(f"{url}/admin/operasi")
        if folder := screenshots():
            await page.screenshot(path=str(folder / "operasi.png"), full_page=True)
        await page.get_by_role("button", name=f"Kirim ulang WKSBM_formed ({event.event_id})").click()
        await page.wait_for_url(f"{url}/admin/operasi?layanan=notify&handled=1&failed=0&not_found=0#surat-mati-notify")
        assert (await page.locator("#hasil-kirim-ulang").inner_text()).startswith(
            "Surat mati Notifikasi dikirim ulang: 1 berhasil diproses"
        )
        assert await page.get_by_role("button", name=f"Kirim ulang WKSBM_formed ({event.event_id})").count() == 0
        await browser.close()
    assert requested and all(r.startswith(url) for r in requested), requested
