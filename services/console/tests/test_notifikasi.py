"""Notifikasi against the real services: an operator adds a rule and registers a webhook, switches them off and on,
sees the delivery log and sends a failed delivery again; notify's refusals stand in Indonesian next to their field;
another region's operator neither sees nor changes them."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from services.console.tests.operations import Offices, json_free, offices, planned_campaign, until


@pytest.fixture(scope="module")
async def both(amqp_url: str, mongodb_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Offices]:
    async with offices(amqp_url, mongodb_url, tmp_path_factory.mktemp("notifikasi")) as found:
        yield found


RULE = {
    "event_pattern": "outreach.session_*",
    "region_code": "34.03",
    "channel": "email",
    "recipients": "kasi.pemberdayaan@dinsos.example, officers",
    "description": "Kabar sesi untuk kasi",
}


async def test_an_operator_adds_a_rule_and_switches_it_off_and_on(both: Offices) -> None:
    form = await both.operator.get("/notifikasi/aturan/baru")
    assert form.status_code == 200 and 'for="recipients"' in form.text
    added = await both.operator.post("/notifikasi/aturan/baru", RULE)
    assert added.status_code == 303 and added.headers["location"] == "/notifikasi?selesai=aturan", added.text
    listed = await both.operator.get(added.headers["location"])
    assert "Aturan ditambahkan." in listed.text and "kasi.pemberdayaan@dinsos.example" in listed.text
    rule_id = re.search(r'action="/notifikasi/aturan/(rul_\w+)/nonaktifkan"', listed.text)
    assert rule_id, listed.text
    off = await both.operator.post(f"/notifikasi/aturan/{rule_id.group(1)}/nonaktifkan", {})
    assert off.status_code == 303
    assert "<td>Nonaktif</td>" in (await both.operator.get("/notifikasi")).text
    await both.operator.post(f"/notifikasi/aturan/{rule_id.group(1)}/aktifkan", {})
    assert "<td>Aktif</td>" in (await both.operator.get("/notifikasi")).text
    # Another region's operator: not listed, and cannot switch it.
    theirs = await both.other.get("/notifikasi")
    assert theirs.status_code == 200 and rule_id.group(1) not in theirs.text
    refused = json_free(await both.other.post(f"/notifikasi/aturan/{rule_id.group(1)}/hapus", {}))
    assert refused.status_code in (403, 404)
    assert "Data ini berada di luar wilayah" in refused.text or "Data tidak ditemukan." in refused.text
    forged = await both.operator.post(f"/notifikasi/aturan/{rule_id.group(1)}/hapus", {}, csrf=False)
    assert forged.status_code == 403 and "Formulir kedaluwarsa" in forged.text


async def test_refusals_stand_next_to_their_field_in_indonesian(both: Offices) -> None:
    await both.operator.get("/notifikasi/aturan/baru")
    wrong = json_free(await both.operator.post("/notifikasi/aturan/baru", {**RULE, "recipients": "bukan-alamat"}))
    assert wrong.status_code == 422
    assert '<p class="error" id="recipients-error">Penerima tidak sesuai' in wrong.text
    assert 'value="outreach.session_*"' in wrong.text  # what was typed stays
    outside = json_free(await both.operator.post("/notifikasi/aturan/baru", {**RULE, "region_code": "35.11"}))
    assert "Data ini berada di luar wilayah atau kewenangan Anda." in outside.text
    await both.operator.get("/notifikasi/webhook/baru")
    hook = {"url": f"{both.console.url}/terima", "event_patterns": "outreach.*", "region_code": "34.03"}
    short = json_free(await both.operator.post("/notifikasi/webhook/baru", {**hook, "secret": "pendek"}))
    assert '<p class="error" id="secret-error">Rahasia minimal 16 karakter.</p>' in short.text
    assert "pendek" not in short.text  # a secret is never shown back


async def test_a_failed_webhook_delivery_is_in_the_log_and_sent_again(both: Offices) -> None:
    await both.operator.get("/notifikasi/webhook/baru")
    hook = {"url": f"{both.console.url}/terima", "event_patterns": "outreach.*", "region_code": "34.03"}
    registered = await both.operator.post(
        "/notifikasi/webhook/baru", {**hook, "secret": "rahasia-kabupaten-0123456789"}
    )
    assert registered.status_code == 303, registered.text
    assert "Webhook didaftarkan." in (await both.operator.get("/notifikasi?selesai=webhook")).text
    await planned_campaign(both)  # outreach.campaign_planned → a delivery to the webhook, which refuses it
    log = await until(both.operator, "/notifikasi/pengiriman", "/kirim-ulang")
    assert "outreach.campaign_planned" in log.text or "campaign_planned" in log.text
    delivery = re.search(r'action="/notifikasi/pengiriman/(\w+)/kirim-ulang"', log.text)
    assert delivery
    again = await both.operator.post(f"/notifikasi/pengiriman/{delivery.group(1)}/kirim-ulang", {})
    assert again.status_code == 303, again.text
    assert "Pengiriman dicoba lagi." in (await both.operator.get(again.headers["location"])).text
    assert delivery.group(1) not in (await both.other.get("/notifikasi/pengiriman")).text
    missing = json_free(await both.other.post(f"/notifikasi/pengiriman/{delivery.group(1)}/kirim-ulang", {}))
    assert missing.status_code in (403, 404)


async def test_the_admin_sees_every_services_status_and_starts_a_replay(both: Offices) -> None:
    status = json_free(await both.admin.get("/admin/operasi"))
    assert status.status_code == 200
    for service in ("reporting", "outreach", "notify"):
        row = re.search(rf'<tr id="layanan-{service}">(.*?)</tr>', status.text, re.S)
        assert row and "<td>Ya</td>" in row.group(1), status.text
    registry = re.search(r'<tr id="layanan-registry">(.*?)</tr>', status.text, re.S)  # not running in this test
    assert registry and "Layanan sedang tidak tersedia." in registry.group(1)
    assert "pilar dlq redrive" in status.text
    started = await both.admin.post("/admin/operasi/replay", {})
    assert started.status_code == 303
    after = await both.admin.get(started.headers["location"])
    assert "Pembangunan ulang proyeksi dimulai." in after.text
    assert re.search(r'<strong id="replay-status">(Sedang berjalan|Selesai)', after.text)
    refused = json_free(await both.operator.get("/admin/operasi"))
    assert refused.status_code == 403 and "Anda tidak berwenang membuka halaman ini." in refused.text
