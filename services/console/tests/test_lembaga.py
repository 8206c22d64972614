"""Lembaga pages against the real registry, outreach and reporting: search, register with a board (rows added
without script), a refusal next to its field, the penumbuhan of a WKSBM citing its campaign and session, members,
status, history — and another region's operator refused in Indonesian."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import httpx
from playwright.async_api import async_playwright

from pilar_dev.browser import CHROMIUM_FLAGS, chromium, screenshots
from pilar_dev.testing import bearer, eventually
from services.console.domain import lembaga as rules
from services.console.tests.conftest import STRONG, Browser, Stack

DESA = "34.03.13.2004"  # Kampung, Ngawen, Gunungkidul
SETUP = bearer("district_operator", "34.03", sub="usr_setup")
BOARD = {
    "rows": "3",
    "board.0.role": "ketua",
    "board.0.name": "Sutrisno",
    "board.1.role": "sekretaris",
    "board.1.name": "Wahyuni",
    "board.2.role": "bendahara",
    "board.2.name": "Sri Lestari",
}


def a_weekday_ahead(days: int) -> date:
    """A Tuesday at least ``days`` ahead: clear of weekends, and of national holidays in the tests' weeks."""
    day = date.today() + timedelta(days=days)
    return day + timedelta(days=(1 - day.weekday()) % 7)


async def campaign_and_session(stack: Stack) -> tuple[str, str]:
    """A campaign visiting the desa and its session there, planned in outreach, once the registry has learnt them."""
    async with httpx.AsyncClient(timeout=15) as http:
        worker = await http.post(
            f"{stack.registry_url}/workers",
            json={"role": "PETUGAS", "name": "Endang Susilowati", "region_code": "34.03"},
            headers=SETUP,
        )
        assert worker.status_code == 201, worker.text
        day = a_weekday_ahead(8)
        campaign_body = {
            "name": "Penumbuhan WKSBM Ngawen",
            "topic": "penumbuhan WKSBM",
            "region_code": "34.03",
            "start_date": day.isoformat(),
            "end_date": (day + timedelta(days=30)).isoformat(),
            "desa_codes": [DESA],
            "max_sessions_per_day": 2,
            "officer_ids": [worker.json()["id"]],
            "narasumber_per_session": 0,
        }
        planned: dict[str, Any] = {}

        async def plan() -> bool:  # outreach knows the worker once registry's event reached it
            answer = await http.post(f"{stack.outreach_url}/campaigns", json=campaign_body, headers=SETUP)
            planned.update(answer.json() if answer.status_code == 201 else {})
            return answer.status_code == 201

        await eventually(plan, what="outreach to know the officer")
        session = await http.post(
            f"{stack.outreach_url}/sessions",
            json={
                "kind": "penyuluhan",
                "campaign_id": planned["id"],
                "region_code": DESA,
                "venue": "Balai Desa Kampung",
                "starts_at": f"{day.isoformat()}T09:00:00",
                "ends_at": f"{day.isoformat()}T12:00:00",
                "officer_ids": [worker.json()["id"]],
            },
            headers=SETUP,
        )
        assert session.status_code == 201, session.text
    session_id = session.json()["id"]

    async def learnt() -> bool:
        return await stack.registry_mongo.db.sessions.find_one({"_id": session_id}) is not None

    await eventually(learnt, what="the registry to learn the session")
    return planned["id"], session_id


async def member_in_desa(stack: Stack, name: str) -> str:
    async with httpx.AsyncClient(timeout=15) as http:
        answer = await http.post(
            f"{stack.registry_url}/institutions",
            json={"kind": "PRANATA_SOSIAL", "name": name, "region_code": DESA, "status": "active"},
            headers=SETUP,
        )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def register(browser: Browser, form: dict[str, str]) -> httpx.Response:
    await browser.get("/lembaga/baru")
    return await browser.post("/lembaga/baru", form)


async def test_an_operator_registers_forms_and_follows_a_wksbm(stack: Stack) -> None:
    operator = await stack.operator("34.03", "Operator Gunungkidul")
    other = await stack.operator("35.11", "Operator Bondowoso")
    listing = await operator.get("/lembaga")
    assert listing.status_code == 200 and "<h1>Lembaga</h1>" in listing.text and 'label for="q"' in listing.text
    # Adding a board row is a submit that re-renders the form with one more row (no script).
    wanted = {"kind": "WKSBM", "name": "WKSBM Kampung Sejahtera", "region_code": DESA, "status": "initiated", **BOARD}
    more = await register(operator, {**wanted, "action": "tambah-baris"})
    assert more.status_code == 200 and 'id="board.3.name"' in more.text and 'value="Sri Lestari"' in more.text
    # A refused NIK stands next to its row's field, in Indonesian; nothing of it is echoed as JSON.
    bad = await register(operator, {**wanted, "board.1.nik": "1234"})
    assert bad.status_code == 422, bad.text
    assert re.search(r'id="board\.1\.nik-error">[^<]*16 angka', bad.text), bad.text
    assert 'aria-invalid="true" aria-describedby="board.1.nik-error"' in bad.text and '"errors"' not in bad.text
    assert (await operator.post("/lembaga/baru", wanted, csrf=False)).status_code == 403
    created = await register(operator, wanted)
    assert created.status_code == 303, created.text
    record_path = created.headers["location"]
    institution_id = record_path.rsplit("/", 1)[1]
    twice = await register(operator, wanted)
    assert twice.status_code == 409 and "sudah terdaftar di desa ini" in twice.text and "allow_duplicate" in twice.text
    record = await operator.get(record_path)
    assert "Rintisan" in record.text and "Sutrisno" in record.text and "Kampung" in record.text

    # Forming without a member institution: the registry's rule in Indonesian, at the top of the form.
    campaign_id, session_id = await campaign_and_session(stack)
    formation = await operator.get(f"{record_path}/penumbuhan")
    assert f'value="{campaign_id}"' in formation.text and f'value="{session_id}"' in formation.text
    assert "Balai Desa Kampung" in formation.text and re.search(r"pukul 09\.00 WIB", formation.text)
    cited = {"formed_on": date.today().isoformat(), "campaign_id": campaign_id, "session_id": session_id}
    refused = await operator.post(f"{record_path}/penumbuhan", cited)
    assert refused.status_code == 422 and "sedikitnya satu lembaga anggota" in refused.text, refused.text
    member_id = await member_in_desa(stack, "KUBE Sido Makmur")
    members = await operator.get(f"{record_path}/anggota")
    assert f'id="member-{member_id}"' in members.text
    assert (await operator.post(f"{record_path}/anggota", {"member_ids": member_id})).status_code == 303
    formed = await operator.post(f"{record_path}/penumbuhan", cited)
    assert formed.status_code == 303, formed.text
    record = await operator.get(formed.headers["location"])
    assert 'id="status-lembaga">Aktif<' in record.text and "KUBE Sido Makmur" in record.text
    assert "Penumbuhan tercatat" in record.text and "Kampanye: Penumbuhan WKSBM Ngawen (" in record.text
    assert (
        "Sesi: penumbuhan WKSBM — Balai Desa Kampung, " in record.text and "Belum ada kegiatan tercatat." in record.text
    )

    async def in_history() -> bool:
        page = await operator.get(record_path)
        return page.text.count("<li>", page.text.index('id="riwayat"')) >= 3  # registered, members, formed

    await eventually(in_history, what="the history from reporting")
    # A board change keeps the rows' NIK as the operator sees it; a doubled ketua is refused next to the board.
    doubled = {**BOARD, "board.1.role": "ketua"}
    await operator.get(f"{record_path}/pengurus")
    refused = await operator.post(f"{record_path}/pengurus", doubled)
    assert refused.status_code == 422 and "masing-masing hanya satu" in refused.text, refused.text
    saved = await operator.post(f"{record_path}/pengurus", {**BOARD, "board.2.nik": "3403134107850002"})
    assert saved.status_code == 303, saved.text
    assert "3403134107850002" in (await operator.get(record_path)).text  # a writer of the region sees it whole
    status = await operator.post(f"{record_path}/status", {"status": "inactive"})
    assert status.status_code == 303 and "Tidak aktif" in (await operator.get(record_path)).text

    # Search finds it; another region's operator neither finds nor opens nor changes it, and sees Indonesian.
    assert institution_id in (await operator.get("/lembaga?q=Kampung+Sejahtera&kind=WKSBM")).text
    assert institution_id not in (await other.get("/lembaga?q=Kampung")).text
    foreign = await other.get(record_path)
    assert foreign.status_code == 403 and "di luar wilayah" in foreign.text and "<html" in foreign.text
    changed = await other.post(f"{record_path}/pengurus", BOARD)
    assert changed.status_code == 403 and "di luar wilayah" in changed.text
    await operator.close()
    await other.close()


async def test_a_wksbm_registered_and_formed_in_a_browser_on_a_phone(stack: Stack) -> None:
    """Seed 001's step "form the WKSBM with their boards", by the labels the README documents."""
    await (await stack.operator("34.03", "Operator Gunungkidul")).close()  # an account with its own password
    campaign_id, session_id = await campaign_and_session(stack)
    await member_in_desa(stack, "KUBE Ngudi Rejeki")
    url = stack.console.url
    requested: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_FLAGS)
        page = await browser.new_page(viewport={"width": 375, "height": 740})
        page.on("request", lambda request: requested.append(request.url))
        await page.goto(f"{url}/masuk")
        await page.get_by_label("E-mail").fill("operator.gunungkidul@dinsos.example")
        await page.get_by_label("Kata sandi").fill(STRONG)
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{url}/")
        await page.get_by_role("link", name="Lembaga", exact=True).click()
        await page.get_by_role("link", name="Daftarkan lembaga").click()
        await page.get_by_label("Jenis lembaga").select_option("WKSBM")
        await page.get_by_label("Nama lembaga").fill("WKSBM Kampung Makmur")
        await page.get_by_label("Kode wilayah (desa)").fill(DESA)
        for row, name in enumerate(("Sutrisno", "Wahyuni", "Sri Lestari"), start=1):
            await page.get_by_label(f"Nama pengurus {row}", exact=True).fill(name)
        await page.get_by_role("button", name="Tambah baris").click()  # one more seat, no script
        await page.get_by_label("Jabatan 5", exact=True).fill("anggota")
        await page.get_by_label("Nama pengurus 5", exact=True).fill("Suparno")
        await page.get_by_role("button", name="Daftarkan", exact=True).click()
        await page.wait_for_url(re.compile(r"/lembaga/ins_"))
        assert await page.locator("#status-lembaga").inner_text() == "Rintisan"
        await page.get_by_role("link", name="Ubah anggota").click()
        await page.get_by_label("KUBE Ngudi Rejeki (Pranata Sosial)").check()
        await page.get_by_role("button", name="Simpan anggota").click()
        await page.get_by_role("link", name="Penumbuhan").click()
        await page.get_by_label("Kampanye").select_option(campaign_id)
        await page.get_by_label("Sesi").select_option(session_id)
        await page.get_by_role("button", name="Tumbuhkan lembaga").click()
        await page.wait_for_url(re.compile(r"diubah=penumbuhan"))
        assert await page.locator("#status-lembaga").inner_text() == "Aktif"
        assert await page.get_by_role("cell", name="Suparno").count() == 1
        if folder := screenshots():
            await page.screenshot(path=str(folder / "lembaga.png"), full_page=True)
        await browser.close()
    assert requested and all(u.startswith(url) for u in requested), requested


def test_board_rows_keep_their_place_when_blank_rows_are_left_out() -> None:
    form = {
        "rows": "3",
        "board.0.role": "ketua",
        "board.0.name": "Sutrisno",
        "board.1.role": "anggota",
        "board.2.role": "bendahara",
        "board.2.name": "Sri Lestari",
        "board.2.nik": "12",
    }
    rows = rules.board_rows(form)
    assert rules.board_of(rows) == [
        {"role": "ketua", "name": "Sutrisno"},
        {"role": "bendahara", "name": "Sri Lestari", "nik": "12"},
    ]
    # The registry names the second seat it was sent; the form shows it on its third row.
    errors = rules.form_errors({"board.1.nik": "NIK tidak valid."}, rules.kept_indexes(rows))
    assert rules.on_form(errors, ()) == {"board.2.nik": "NIK tidak valid."}
    assert rules.on_form({"formation": "x", "formed_on": "y"}, ("formed_on",)) == {"": "x", "formed_on": "y"}
    assert len(rules.with_blank_row(rows)) == 4 and rules.board_rows({"rows": "x"}) == []


def test_campaigns_of_a_desa_progress_and_the_services_words() -> None:
    campaigns = [{"id": "c1", "desa_codes": [DESA]}, {"id": "c2", "desa_codes": ["34.03.13.2005"]}]
    assert [c["id"] for c in rules.campaigns_of_desa(campaigns, DESA)] == ["c1"]
    assert rules.progress({"total": 0, "processed": 0}) == 100
    assert rules.progress({"total": 3, "processed": 1}) == 33
    assert rules.when("2026-12-08T02:00:00+00:00", DESA) == "Selasa, 8 Desember 2026 pukul 09.00 WIB"
    job = {"errors": [{"row": 4, "field": "phone", "message": "phone must be 8 to 15 digits"}]}
    assert rules.row_errors(job)[0]["message"] == "Nomor telepon harus 8–15 angka."
    assert rules.worker_body({"role": "PSM", "name": " Sumarni ", "region_code": DESA}, editing=True) == {
        "role": "PSM",
        "name": "Sumarni",
        "region_code": DESA,
        "active": True,
        "nik": None,
        "phone": None,
        "email": None,
    }
