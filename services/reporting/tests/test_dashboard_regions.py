"""The dashboard region by region: the level below the one viewed, by name, with bars; drill-down and breadcrumb;
the caller's scope. Reporting runs for real (uvicorn, RabbitMQ, the Mongo-wire server), fed the recorded
scenario — WKSBM in five desa of Kecamatan Wonosari and five of Kecamatan Nglipar, Gunungkidul; the Bondowoso
FGD — and two institutions more: a Pokja in Nglipar and a Karang Taruna in Bantul, Gunungkidul's neighbour."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import date

import aio_pika
import httpx
import pytest

from contracts import topology
from contracts.envelope import Envelope
from pilar_dev.testing import (
    TEST_JWKS,
    TEST_SIGNING_KEY,
    RunningApp,
    bearer,
    delete_namespace,
    new_namespace,
    publish_event,
)
from pilar_runtime.auth import issue_token
from pilar_runtime.mongo import Mongo
from services.reporting.app import build
from services.reporting.dashboard.routes import COOKIE
from services.reporting.settings import ReportingSettings
from services.reporting.tests.conftest import Reporting, fed
from services.reporting.tests.scenario import at, envelope, scenario

GUNUNGKIDUL = issue_token(TEST_SIGNING_KEY, sub="op-gk", role="district_operator", region="34.03")
DIY = issue_token(TEST_SIGNING_KEY, sub="op-diy", role="district_operator", region="34")
ADMIN = issue_token(TEST_SIGNING_KEY, sub="adm", role="admin", region="")
# Status words of the data as stored: none may reach the page untranslated.
ENGLISH = {"held", "scheduled", "cancelled", "open", "overdue", "completed", "active", "inactive", "dormant",
           "initiated", "dissolved", "failed", "sent", "pending", "done", "total", "formed"}  # fmt: skip


def registered(institution: str, kind: str, desa: str) -> Envelope:
    payload = {"institution_id": institution, "kind": kind, "name": f"{kind} {desa}", "region_code": desa}
    return envelope(
        "institution_registered",
        {**payload, "status": "active"},
        region=desa,
        aggregate=institution,
        version=1,
        at=at(date(2020, 3, 2)),
    )


EXTRA = [
    registered("ins_pokja_nglipar", "POKJA", "34.03.02.2001"),
    registered("ins_kt_bantul", "KARANG_TARUNA", "34.02.01.2001"),
]


@pytest.fixture(scope="module")
async def reporting(amqp_url: str, mongodb_url: str) -> AsyncIterator[Reporting]:
    """One stack for the module, fed once: every test reads the same figures."""
    namespace = new_namespace()
    settings = ReportingSettings(amqp_url=amqp_url, mongodb_url=mongodb_url, namespace=namespace, jwks=TEST_JWKS)
    try:
        async with RunningApp(build(settings)) as running, httpx.AsyncClient(base_url=running.url, timeout=30) as http:
            mongo = Mongo(settings.mongodb_url, settings.database)
            connection = await aio_pika.connect_robust(amqp_url)
            channel = await connection.channel()
            exchange = await channel.declare_exchange(
                topology.namespaced(topology.EVENTS_EXCHANGE, namespace), aio_pika.ExchangeType.TOPIC, durable=True
            )

            async def publish(events: list[Envelope]) -> None:
                for event in events:
                    await publish_event(exchange, event, amqp_url=amqp_url)

            service = Reporting(running.url, http, mongo)
            await fed(service, publish, [*scenario(), *EXTRA])
            yield service
            await connection.close()
            await mongo.close()
    finally:
        await delete_namespace(amqp_url, namespace)
        admin = Mongo(mongodb_url, "admin")
        for database in await admin.client.list_database_names():
            if database.startswith(f"{namespace}_"):
                await admin.client.drop_database(database)
        await admin.close()


async def page(reporting: Reporting, token: str, region: str | None = None) -> str:
    params = {"region": region} if region else {}
    answer = await reporting.http.get("/dashboard", params=params, headers={"Cookie": f"{COOKIE}={token}"})
    assert answer.status_code == 200, answer.text
    return answer.text


def table(dom: str, table_id: str) -> str:
    return dom.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]


def row(block: str, code: str) -> str:
    found = re.search(rf'<tr data-code="{re.escape(code)}">(.*?)</tr>', block, re.S)
    assert found, f"no row for {code}"
    return found.group(1)


def figures(tr: str) -> dict[str, tuple[int, int | None]]:
    """Each figure of a row: its printed number (Indonesian format) and its bar's length (None: no bar)."""
    out = {}
    for key, cell in re.findall(r'data-figure="([^"]+)">(.*?)</td>', tr, re.S):
        bar = re.search(r'<rect width="(\d+)"', cell)
        number = re.sub(r"<[^>]+>", "", cell).strip()
        assert re.fullmatch(r"\d{1,3}(\.\d{3})*", number), number
        out[key] = (int(number.replace(".", "")), int(bar.group(1)) if bar else None)
    return out


def visible_words(dom: str) -> set[str]:
    body = re.sub(r"<style.*?</style>|<[^>]+>", " ", dom, flags=re.S)
    return {w.lower() for w in re.findall(r"[A-Za-z]+", html.unescape(body))}


async def test_a_kabupaten_lists_its_kecamatan_by_name_with_counts_and_bars(reporting: Reporting) -> None:
    dom = await page(reporting, GUNUNGKIDUL)
    children = table(dom, "by-child")
    assert '<th scope="col">Kecamatan</th>' in children
    # Every kecamatan of the reference, zero where nothing is recorded: Gunungkidul has 18.
    assert len(re.findall(r'<tr data-code="34\.03\.\d\d">', children)) == 18
    wonosari, nglipar = row(children, "34.03.01"), row(children, "34.03.02")
    assert ">Wonosari</a>" in wonosari and ">Nglipar</a>" in nglipar
    for code, shown in (("34.03.01", wonosari), ("34.03.02", nglipar)):
        api = await reporting.get("/summary", bearer("admin", ""), region=code)
        got = figures(shown)
        assert got["sessions_held"][0] == api["sessions"]["held"] == 5
        assert got["participants"][0] == api["participants"]["total"] == 200
        assert got["dormant"][0] == api["activities"]["dormant"]
        assert got["followups_overdue"] == (0, 0)
    # Wonosari: five WKSBM, one of them inactive (so not dormant); Nglipar: five WKSBM and a Pokja, all quiet.
    assert figures(wonosari)["institutions"] == (5, 83) and figures(nglipar)["institutions"] == (6, 100)
    assert figures(wonosari)["dormant"] == (4, 67) and figures(nglipar)["dormant"] == (6, 100)
    assert figures(wonosari)["sessions_held"] == (5, 100) == figures(nglipar)["sessions_held"]
    assert "Pokja 1 · WKSBM 5" in nglipar and "WKSBM 5" in wonosari
    assert figures(row(children, "34.03.03"))["institutions"] == (0, 0)  # Playen: nothing yet
    assert "<tfoot>" not in children  # everything Gunungkidul counts lies in one of its kecamatan
    # The API gives district systems the same breakdown.
    api = await reporting.get("/summary", {"Authorization": f"Bearer {GUNUNGKIDUL}"})
    by_code = {child["region_code"]: child for child in api["children"]}
    assert len(by_code) == 18 and by_code["34.03.02"]["name"] == "Nglipar"
    assert by_code["34.03.02"]["institutions_by_kind"] == {"POKJA": 1, "WKSBM": 5}
    assert {k: by_code["34.03.01"][k] for k in ("institutions", "sessions_held", "participants", "dormant")} == {
        k: figures(wonosari)[k][0] for k in ("institutions", "sessions_held", "participants", "dormant")
    }


async def test_the_kecamatan_link_drills_down_to_its_desa_with_a_breadcrumb_back(reporting: Reporting) -> None:
    kabupaten = await page(reporting, GUNUNGKIDUL)
    link = re.search(r'<a href="([^"]+)">Wonosari</a>', table(kabupaten, "by-child"))
    assert link and html.unescape(link.group(1)) == "/dashboard?region=34.03.01"
    answer = await reporting.http.get(html.unescape(link.group(1)), headers={"Cookie": f"{COOKIE}={GUNUNGKIDUL}"})
    assert answer.status_code == 200
    dom = answer.text
    assert "Dasbor Pelaporan — Wonosari" in dom
    trail = dom.split('id="trail"', 1)[1].split("</nav>", 1)[0]
    # From the caller's own scope down: a Gunungkidul operator is offered no way up to the province.
    assert '<a href="/dashboard?region=34.03">Kabupaten Gunungkidul</a>' in trail
    assert "Yogyakarta" not in trail and '<li aria-current="page">Wonosari</li>' in trail
    desa = table(dom, "by-child")
    assert '<th scope="col">Desa/Kelurahan</th>' in desa
    held = [
        code for code in re.findall(r'<tr data-code="([\d.]+)">', desa) if figures(row(desa, code))["sessions_held"][0]
    ]
    assert held == [f"34.03.01.200{i}" for i in range(1, 6)]
    assert figures(row(desa, "34.03.01.2001"))["participants"] == (40, 100)
    # A desa is the lowest level: nothing below it to list.
    bottom = await page(reporting, GUNUNGKIDUL, "34.03.01.2001")
    assert 'id="by-child"' not in bottom and '<li aria-current="page">Wonosari</li>' in bottom


async def test_a_province_groups_by_kabupaten(reporting: Reporting) -> None:
    dom = await page(reporting, DIY)
    kabupaten = table(dom, "by-child")
    assert '<th scope="col">Kabupaten/Kota</th>' in kabupaten
    assert re.findall(r'<tr data-code="([\d.]+)">', kabupaten) == ["34.01", "34.02", "34.03", "34.04", "34.71"]
    assert ">Kabupaten Gunungkidul</a>" in row(kabupaten, "34.03") and ">Kabupaten Bantul</a>" in row(
        kabupaten, "34.02"
    )
    assert figures(row(kabupaten, "34.03"))["institutions"] == (11, 100)
    assert figures(row(kabupaten, "34.02"))["institutions"] == (1, 9)
    assert figures(row(kabupaten, "34.03"))["sessions_held"] == (10, 100)
    # The nation, for an administrator, groups by provinsi.
    nation = table(await page(reporting, ADMIN), "by-child")
    assert '<th scope="col">Provinsi</th>' in nation and ">Daerah Istimewa Yogyakarta</a>" in row(nation, "34")
    assert len(re.findall(r'<tr data-code="\d\d">', nation)) == 38
    assert figures(row(nation, "34"))["institutions"] == (12, 100)


async def test_what_a_kabupaten_records_itself_is_shown_apart_from_its_kecamatan(reporting: Reporting) -> None:
    """The Bondowoso FGD was held for the kabupaten (region 35.11), not in one of its kecamatan."""
    kecamatan = table(await page(reporting, ADMIN, "35.11"), "by-child")
    assert all(
        n == 0
        for code in re.findall(r'<tr data-code="(35\.11\.\d\d)">', kecamatan)
        for n, _ in figures(row(kecamatan, code)).values()
    )
    own = kecamatan.split("<tfoot>", 1)[1]
    assert "Dicatat di tingkat kabupaten/kota" in own
    shown = {key: n for key, (n, _) in figures(own).items()}
    assert shown == {
        "institutions": 0,
        "sessions_held": 1,
        "participants": 120,
        "followups_open": 0,
        "followups_overdue": 1,
        "dormant": 0,
    }


async def test_a_kabupaten_operator_sees_no_sibling(reporting: Reporting) -> None:
    cookie = {"Cookie": f"{COOKIE}={GUNUNGKIDUL}"}
    for region in ("34.02", "34.02.01", "34", "35.11"):
        assert (await reporting.http.get("/dashboard", params={"region": region}, headers=cookie)).status_code == 403
        denied = await reporting.http.get(
            "/summary", params={"region": region}, headers={"Authorization": f"Bearer {GUNUNGKIDUL}"}
        )
        assert denied.status_code == 403 and "Bantul" not in denied.text
    dom = await page(reporting, GUNUNGKIDUL)
    assert "34.02" not in dom and "Bantul" not in dom


async def test_every_word_on_the_page_is_indonesian(reporting: Reporting) -> None:
    dom = await page(reporting, GUNUNGKIDUL)
    assert not visible_words(dom) & ENGLISH, sorted(visible_words(dom) & ENGLISH)
    monthly = table(dom, "monthly")
    august = re.search(r'<tr data-month="2019-08">(.*?)</tr>', monthly, re.S)
    assert august and "Agustus 2019" in august.group(1)
    assert figures(august.group(1)) == {"formed-WKSBM": (10, 100), "sessions-held": (10, 100)}
