"""One stack for the Laporan, Notifikasi and operations pages' tests (module-scoped, to keep them quick): the
console beside reporting, outreach and notify, for real; an admin, and an operator in each of two regions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from pilar_dev.devstack import free_port
from pilar_dev.testing import TEST_JWKS, TEST_LINK_SECRET, RunningApp, bearer, delete_namespace, new_namespace
from services.console.app import build
from services.console.tests.conftest import Browser, Console, console_settings
from services.notify.app import build as build_notify
from services.notify.settings import NotifySettings
from services.outreach.app import build as build_outreach
from services.outreach.settings import OutreachSettings
from services.reporting.app import build as build_reporting
from services.reporting.settings import ReportingSettings

GUNUNGKIDUL, BONDOWOSO = "34.03", "35.11"


@dataclass
class Offices:
    console: Console
    urls: dict[str, str]  # service → base URL
    admin: Browser
    operator: Browser  # district operator of Gunungkidul
    other: Browser  # district operator of Bondowoso
    operator_email: str  # signs in with conftest's STRONG password


@asynccontextmanager
async def offices(amqp_url: str, mongodb_url: str, tmp_path: Path) -> AsyncIterator[Offices]:
    namespace = new_namespace()
    stack = {"amqp_url": amqp_url, "mongodb_url": mongodb_url, "namespace": namespace, "jwks": TEST_JWKS}
    stack["link_secret"] = TEST_LINK_SECRET
    try:
        async with (
            RunningApp(build_reporting(ReportingSettings(**stack))) as reporting,  # type: ignore[arg-type]
            RunningApp(build_outreach(OutreachSettings(**stack))) as outreach,  # type: ignore[arg-type]
            # Webhooks may go to loopback here: the tests' receivers run on this machine.
            RunningApp(build_notify(NotifySettings(**stack, webhook_allowed_networks=["127.0.0.0/8"]))) as notify,  # type: ignore[arg-type]
        ):
            urls = {"reporting": reporting.url, "outreach": outreach.url, "notify": notify.url}
            urls["registry"] = f"http://127.0.0.1:{free_port()}"  # not running: its pages' notice is tested
            settings = console_settings(stack, tmp_path, **{f"{name}_url": url for name, url in urls.items()})
            async with RunningApp(build(settings)) as running:
                from pilar_runtime.mongo import Mongo

                mongo = Mongo(settings.mongodb_url, settings.database)
                console = Console(running.url, settings, mongo, reporting.url)
                admin = console.browser()
                email, one_time = console.first_admin()
                await admin.sign_in_for_good(email, one_time)
                people, emails = [], []
                for name, region in (("Sri Gunungkidul", GUNUNGKIDUL), ("Budi Bondowoso", BONDOWOSO)):
                    address = f"{name.split()[0].lower()}.{region}@dinsos.example"
                    _, password = await admin.create_user(name, address, "district_operator", region)
                    person = console.browser()
                    await person.sign_in_for_good(address, password)
                    people.append(person)
                    emails.append(address)
                try:
                    yield Offices(console, urls, admin, people[0], people[1], emails[0])
                finally:
                    for browser in (admin, *people):
                        await browser.close()
                    await mongo.close()
    finally:
        await delete_namespace(amqp_url, namespace)
        from pilar_runtime.mongo import Mongo

        mongo = Mongo(mongodb_url, "admin")
        for database in await mongo.client.list_database_names():
            if database.startswith(f"{namespace}_"):
                await mongo.client.drop_database(database)
        await mongo.close()


async def planned_campaign(offices: Offices, region: str = GUNUNGKIDUL) -> str:
    """A campaign planned in outreach (by its API) and known to reporting: its id."""
    headers = bearer("district_operator", region)
    body = {
        "name": "Penyuluhan WKSBM Playen",
        "topic": "penumbuhan WKSBM",
        "region_code": region,
        "start_date": "2026-08-03",
        "end_date": "2026-08-28",
        "desa_codes": ["34.03.02.2004"],
        "max_sessions_per_day": 2,
    }
    async with httpx.AsyncClient(timeout=10) as http:
        created = await http.post(f"{offices.urls['outreach']}/campaigns", json=body, headers=headers)
        assert created.status_code == 201, created.text
        campaign_id: str = created.json()["id"]
        progress = f"{offices.urls['reporting']}/campaigns/{campaign_id}/progress"
        for _ in range(100):
            if (await http.get(progress, headers=headers)).status_code == 200:
                return campaign_id
            await asyncio.sleep(0.1)
    raise AssertionError("reporting never learnt of the campaign")


async def until(browser: Browser, path: str, text: str) -> httpx.Response:
    """The page once it shows ``text`` (a report is built in the background)."""
    for _ in range(150):
        found = await browser.get(path)
        if text in found.text:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"{path} never showed {text!r}: {found.text[-2000:]}")


def json_free(response: httpx.Response) -> Any:
    """An answer that is a page, never a service's JSON or a trace."""
    assert response.headers["content-type"].startswith("text/html"), response.headers
    assert '"status"' not in response.text and "Traceback" not in response.text
    return response
