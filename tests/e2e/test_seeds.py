"""`pilar demo` played through the public APIs against the four services running as processes: the seeds'
programmes, a correction, after-care and a cuti bersama flow to reporting's projections and reports, notify's
e-mails (a real SMTP server, the demo's mail catcher) and a district system's webhook (a real HTTP receiver checking
the signature); what the demo prints is checked against what the APIs answer."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pilar_dev.demo import Played, play
from pilar_dev.demo_client import ATTENDANCE_40, Api, console
from pilar_dev.demo_cycle import ACTIVITIES, PSKS
from pilar_dev.devstack import free_port
from pilar_dev.mailcatcher import MailFolder, list_mail
from pilar_dev.testing import TEST_SIGNING_KEY_PEM, RunningApp, eventually
from pilar_runtime.localtime import hari_tanggal, local_date, local_today
from services.notify.domain.signature import verify
from tests.e2e.stack import SERVICES, Stack

WEBHOOK_SECRET = "district-bondowoso-secret-0123456789"


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's state folder, whose `mail/` the SMTP server fills as `pilar up`'s mail catcher does."""
    return tmp_path_factory.mktemp("state")


@pytest.fixture(scope="module")
def smtp_server(state_dir: Path) -> Iterator[Controller]:
    """A real SMTP server keeping every message it receives in a folder."""
    controller = Controller(MailFolder(state_dir / "mail"), hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture(scope="module")
def mailbox(smtp_server: Controller) -> Path:
    folder: Path = smtp_server.handler.folder
    return folder


@pytest.fixture(scope="module")
def stack_env(smtp_server: Controller) -> dict[str, str]:
    return {"NOTIFY_SMTP_HOST": "127.0.0.1", "NOTIFY_SMTP_PORT": str(smtp_server.port)}


@pytest.fixture(scope="module")
def received() -> list[dict[str, Any]]:
    return []


@pytest.fixture(scope="module")
async def district_system(received: list[dict[str, Any]]) -> AsyncIterator[str]:
    """A district system's webhook endpoint: verifies the signature of every call it gets."""

    async def receive(request: Request) -> Response:
        body = await request.body()
        received.append(
            {
                "valid": verify(body, WEBHOOK_SECRET, request.headers),
                "event_type": request.headers.get("X-Pilar-Event-Type"),
                "body": body,
            }
        )
        return Response(status_code=204)

    app = Starlette(routes=[Route("/pilar/events", receive, methods=["POST"])])
    async with RunningApp(app) as running:
        yield f"{running.url}/pilar/events"


@pytest.fixture(scope="module")
async def scenario(
    stack: Stack, district_system: str, state_dir: Path, monkeypatch_module: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Played, Api, str]]:
    """The demo played once (what it prints captured), after a district system registered its webhook."""
    monkeypatch_module.setenv("PILAR_STATE_DIR", str(state_dir))
    (state_dir / "signing-key.pem").write_bytes(TEST_SIGNING_KEY_PEM)  # the console's key, as the stack trusts it
    for service in SERVICES:
        monkeypatch_module.setenv(f"PILAR_{service.upper()}_URL", stack.url(service))
    api = Api.open()
    webhook = {
        "url": district_system,
        "event_patterns": ["outreach.FGD_held", "outreach.followup_*"],
        "region_code": "35.11",
        "secret": WEBHOOK_SECRET,
    }
    assert "secret" not in await api.call("notify", "POST", "/webhooks", json=webhook)
    with console.capture() as printed:
        played = await play(api, local_today())
    yield played, api, printed.get()
    await api.close()


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


async def test_gunungkidul_campaign_reaches_its_target_in_the_projection_and_report(
    scenario: tuple[Played, Api, str],
) -> None:
    played, api, _ = scenario
    loaded = played.scenario
    progress = await api.call("reporting", "GET", f"/campaigns/{loaded.gunungkidul_campaign}/progress")
    assert progress["targets"]["new_wksbm"]["target"] == 10
    assert progress["targets"]["new_wksbm"]["achieved"] == 10
    assert progress["targets"]["new_wksbm"]["met"] is True

    report = f"/reports/rpt_campaign_{loaded.gunungkidul_campaign}/download?format=xlsx"
    response = await api.clients["reporting"].get(report)
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    cells = {str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value}
    assert any("Kampung" in c for c in cells)  # the desa of seed 001 are in the report
    assert any("Pampang" in c for c in cells)


async def test_summary_rolls_the_three_programmes_up_by_region(scenario: tuple[Played, Api, str]) -> None:
    _, api, _ = scenario
    gunungkidul = await api.call("reporting", "GET", "/summary?region=34.03")
    bangka_barat = await api.call("reporting", "GET", "/summary?region=19.05.02")
    bondowoso = await api.call("reporting", "GET", "/summary?region=35.11")
    text = str(gunungkidul)
    assert "WKSBM" in text
    assert gunungkidul != bangka_barat != bondowoso
    assert "POKJA" in str(bangka_barat)


async def test_sessions_entered_after_they_took_place_invite_nobody_and_the_log_says_why(
    scenario: tuple[Played, Api, str], mailbox: Path
) -> None:
    """The Gunungkidul sessions are entered after they were held: their invitations are in notify's delivery log as
    skipped, none is sent."""
    _, api, _ = scenario
    skipped: list[dict[str, Any]] = []

    async def recorded() -> bool:
        nonlocal skipped
        found = await api.call("notify", "GET", "/deliveries?status=skipped&limit=500")
        skipped = [d for d in found["items"] if d["notice"] == "outreach.session_scheduled"]
        return len(skipped) >= 10 * 5  # 10 sessions × (2 officers + 3 narasumber)

    await eventually(recorded, timeout=90, what="the skipped invitations")
    assert {d["reason"] for d in skipped} == {"session_started"}
    assert any(str(d.get("recipient", "")).startswith("nuryuwono@") for d in skipped)
    assert not [m for m in list_mail(mailbox) if m.to.startswith("nuryuwono@") and "Undangan" in m.subject]


async def test_the_psks_section_hears_of_each_formation_in_diy_and_the_bali_fgd_is_announced_in_wita(
    scenario: tuple[Played, Api, str], mailbox: Path
) -> None:
    played, api, printed = scenario
    handovers = [m for m in list_mail(mailbox) if m.to == PSKS]
    registered = (await api.call("registry", "GET", "/institutions?region=34&limit=500"))["items"]
    formed = [i for i in registered if i.get("formation")]
    assert len(formed) == played.handovers == len(handovers) == 11  # seed 001's ten WKSBM, the archive's Karang Taruna
    assert all("Susunan pengurus:" in m.body() and "1. Ketua: " in m.body() for m in handovers)
    assert f"{played.handovers} handover e-mails sent to {PSKS}" in printed
    assert f"in the mail catcher: «{' '.join(handovers[0].subject.split())}»" in " ".join(printed.split())
    bali = [m.body() for m in list_mail(mailbox) if "Penguatan Karang Taruna" in " ".join(m.subject.split())]
    assert bali and all("pukul 09.00 WITA s.d. 12.00 WITA" in body for body in bali)
    assert "invitation sent to the officer: Waktu" in printed


async def test_the_bondowoso_fgd_reaches_the_district_system_signed_and_its_overdue_followup_is_noticed(
    scenario: tuple[Played, Api, str], received: list[dict[str, Any]], mailbox: Path
) -> None:
    _, api, _ = scenario

    async def delivered() -> bool:
        types = {r["event_type"] for r in received}
        return {"FGD_held", "followup_assigned", "followup_overdue"} <= types

    await eventually(delivered, timeout=90, what="the webhook deliveries")
    assert all(r["valid"] for r in received)
    followups = await api.call("outreach", "GET", "/followups?overdue=true")
    assert followups["total"] == 1


async def test_the_bondowoso_fgd_minutes_name_the_pilot_desa_and_follow_the_overdue_followup(
    scenario: tuple[Played, Api, str],
) -> None:
    played, api, _ = scenario
    loaded = played.scenario
    minutes = f"rpt_fgd_minutes_{loaded.bondowoso_fgd}"

    async def renewed() -> bool:
        # The overdue follow-up renews the minutes: wait until that version is built and announced.
        overdue = (await api.call("reporting", "GET", "/events?type=followup_overdue&region=35.11"))["items"]
        generated = (await api.call("reporting", "GET", "/events?type=report_generated&region=35.11"))["items"]
        return bool(overdue) and any(e["causation_id"] == overdue[0]["event_id"] for e in generated)

    await eventually(renewed, timeout=90, what="the FGD minutes renewed by the overdue follow-up")
    response = await api.clients["reporting"].get(f"/reports/{minutes}/download?format=xlsx")
    assert response.status_code == 200, response.text
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = [list(r) for r in book["Tindak lanjut"].iter_rows(values_only=True)]
    assert [r[4] for r in rows[1:]] == ["Terlambat", "Berjalan"]
    assert len(list(book["Desa percontohan"].iter_rows())) == 11
    categories = [r[0] for r in book["Kehadiran"].iter_rows(min_row=2, values_only=True)]
    assert {"Forkopimda", "DPRD", "Camat", "Kepala desa", "Tagana", "Sakti Peksos", "Ormas"} <= set(categories)
    district = await api.call("reporting", "GET", "/summary?region=35.11")
    assert len(district["pilot_desa"]) == 10 and all(d["name"] for d in district["pilot_desa"])


async def test_one_correlation_id_follows_the_demo_through_every_service(
    scenario: tuple[Played, Api, str], stack: Stack
) -> None:
    seen = {r.get("service") for r in stack.records() if r.get("correlation_id") == "pilar-demo"}
    assert seen == set(SERVICES)


async def test_pilar_replay_rebuilds_the_same_projections(
    scenario: tuple[Played, Api, str], stack: Stack, monkeypatch_module: pytest.MonkeyPatch
) -> None:
    from pilar.replay import run_replay

    _, api, _ = scenario
    paths = ["/summary?region=34.03", "/summary?region=19.05", "/summary?region=35.11"]
    paths.append(f"/campaigns/{scenario[0].scenario.gunungkidul_campaign}/progress")
    before = [await api.call("reporting", "GET", path) for path in paths]
    # As `pilar replay reporting` does beside a stack: the running service replays, the command follows it.
    monkeypatch_module.setenv("PILAR_REPORTING_URL", stack.url("reporting"))
    assert (await run_replay(poll_seconds=0.1))["status"] == "done"
    after = [await api.call("reporting", "GET", path) for path in paths]
    assert after == before


async def test_the_demos_amended_gunungkidul_report_moves_progress_and_revises_the_campaign_report(
    scenario: tuple[Played, Api, str],
) -> None:
    played, api, printed = scenario
    campaign = played.scenario.gunungkidul_campaign
    participants = (await api.call("reporting", "GET", f"/campaigns/{campaign}/progress"))["participants"]
    assert participants["total"] == 10 * sum(ATTENDANCE_40.values()) + 5  # ten sessions, one counted again
    assert participants["by_category"]["kader"] == 10 * ATTENDANCE_40["kader"] + 5
    state = await api.call("reporting", "GET", f"/reports/rpt_campaign_{campaign}")
    assert state["revised"] is True and "5 kader" in state["revision_note"]
    assert state["revision_note"] in " ".join(printed.split())
    response = await api.clients["reporting"].get(f"/reports/rpt_campaign_{campaign}/download?format=xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    cells = [str(c.value) for row in book["Ringkasan"].iter_rows() for c in row if c.value]
    assert any(c.startswith("Laporan ini telah direvisi") and "5 kader" in c for c in cells)


async def test_two_wksbm_are_trained_and_accompanied_and_the_summary_counts_them(
    scenario: tuple[Played, Api, str],
) -> None:
    played, api, printed = scenario
    recorded = [
        (await api.call("registry", "GET", f"/institutions/{wksbm}/activities"))["items"]
        for wksbm in played.aftercare.trained
    ]
    assert [[a["kind"] for a in items] for items in recorded] == [[kind] for kind, _, _ in ACTIVITIES]
    activities = (await api.call("reporting", "GET", "/summary?region=34.03"))["activities"]
    assert activities["by_kind"] == {kind: 1 for kind, _, _ in ACTIVITIES}
    assert activities["active_last_6_months"] == len(ACTIVITIES)
    # Formed two years ago and entered only today: the archive's Karang Taruna is the one dormant institution.
    assert [d["institution_id"] for d in activities["dormant_institutions"]] == [played.aftercare.dormant]
    assert "dormant: Karang Taruna Tunas Harapan, quiet since" in printed
    assert "active in the last six months: 2; dormant" in " ".join(printed.split())


async def test_a_session_placed_on_cuti_bersama_is_warned_and_the_auto_scheduler_leaves_the_day_out(
    scenario: tuple[Played, Api, str],
) -> None:
    played, api, printed = scenario
    leave = played.cuti_bersama
    by_hand = await api.call("outreach", "GET", f"/sessions/{leave.placed_by_hand}")
    assert local_date(datetime.fromisoformat(by_hand["starts_at"])) == leave.day
    assert [w["rule"] for w in by_hand["warnings"]] == ["cuti_bersama"]
    assert leave.name in by_hand["warnings"][0]["message"]
    listed = (await api.call("outreach", "GET", f"/sessions?campaign_id={leave.campaign_id}"))["items"]
    auto = [s for s in listed if s.get("auto_scheduled")]
    assert len(auto) == len(listed) - 1 == 3
    assert leave.day not in {local_date(datetime.fromisoformat(s["starts_at"])) for s in auto}
    assert f"with a warning: {by_hand['warnings'][0]['message']}" in " ".join(printed.split())
    assert f"left out: {hari_tanggal(leave.day)} (cuti bersama: {leave.name})" in " ".join(printed.split())


async def test_the_demo_prints_the_fgd_minutes_and_where_to_download_them(scenario: tuple[Played, Api, str]) -> None:
    played, _, printed = scenario
    minutes = f"/reports/rpt_fgd_minutes_{played.scenario.bondowoso_fgd}/download?format=xlsx"
    assert minutes in printed
    assert "Desa percontohan" in printed
