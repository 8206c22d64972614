"""The console running for real (uvicorn, RabbitMQ, Mongo-wire server) beside the reporting and outreach services
its Beranda calls, and a browser-like client that keeps the session cookie and posts the forms' CSRF tokens."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from pilar_dev.testing import (
    TEST_JWKS,
    TEST_LINK_SECRET,
    TEST_SIGNING_KEY_PEM,
    RunningApp,
    delete_namespace,
    new_namespace,
)
from pilar_runtime.mongo import Mongo
from services.console.app import build
from services.console.settings import ConsoleSettings
from services.outreach.app import build as build_outreach
from services.outreach.settings import OutreachSettings
from services.registry.app import build as build_registry
from services.registry.settings import RegistrySettings
from services.reporting.app import build as build_reporting
from services.reporting.settings import ReportingSettings

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
STRONG = "Gunung-Kidul-2026!"


@dataclass
class Console:
    url: str
    settings: ConsoleSettings
    mongo: Mongo  # the console's own database, for checks the pages do not show
    reporting_url: str

    def first_admin(self) -> tuple[str, str]:
        email, password = self.settings.first_password_file.read_text().split()
        return email, password

    def browser(self) -> Browser:
        return Browser(httpx.AsyncClient(base_url=self.url, timeout=30))


@dataclass
class Browser:
    """What a person's browser does: keeps the cookie, reads each form's CSRF token from the page it came from."""

    http: httpx.AsyncClient
    csrf: str = ""

    async def get(self, path: str) -> httpx.Response:
        response = await self.http.get(path)
        if found := CSRF.search(response.text):
            self.csrf = found.group(1)
        return response

    async def post(self, path: str, form: Mapping[str, str | list[str]], *, csrf: bool = True) -> httpx.Response:
        response = await self.http.post(path, data={**form, "csrf": self.csrf} if csrf else form)
        if found := CSRF.search(response.text):
            self.csrf = found.group(1)
        return response

    async def sign_in(self, email: str, password: str) -> httpx.Response:
        await self.get("/masuk")
        return await self.post("/masuk", {"email": email, "password": password})

    async def sign_in_for_good(self, email: str, one_time: str, password: str = STRONG) -> None:
        """Sign in with a one-time password and choose one's own, as the first sign-in demands."""
        first = await self.sign_in(email, one_time)
        assert first.status_code == 303 and first.headers["location"] == "/kata-sandi", first.text
        await self.get("/kata-sandi")
        changed = await self.post(
            "/kata-sandi",
            {"current_password": one_time, "new_password": password, "repeated_password": password},
        )
        assert changed.status_code == 303, changed.text

    async def create_user(self, name: str, email: str, role: str, region: str) -> tuple[str, str]:
        """An admin creates an account: its id and the one-time password the page shows once."""
        await self.get("/admin/pengguna/baru")
        page = await self.post("/admin/pengguna/baru", {"name": name, "email": email, "role": role, "region": region})
        assert page.status_code == 201, page.text
        password = re.search(r'id="one-time-password">([^<]+)<', page.text)
        user_id = re.search(r'href="/admin/pengguna/(usr_[0-9a-f]+)"', page.text)
        assert password and user_id
        return user_id.group(1), password.group(1)

    async def close(self) -> None:
        await self.http.aclose()


def console_settings(stack_settings: dict[str, str], tmp_path: Path, **overrides: Any) -> ConsoleSettings:
    key = tmp_path / "signing-key.pem"
    if not key.exists():  # the key whose public half the services under test trust (TEST_JWKS)
        key.write_bytes(TEST_SIGNING_KEY_PEM)
    return ConsoleSettings(
        **stack_settings,  # type: ignore[arg-type]
        signing_key_file=key,
        first_password_file=tmp_path / "first-admin-password",
        relay_poll_seconds=0.2,
        **overrides,
    )


@pytest.fixture
async def console(stack_settings: dict[str, str], tmp_path: Path) -> AsyncIterator[Console]:
    reporting = ReportingSettings(**stack_settings)  # type: ignore[arg-type]
    outreach = OutreachSettings(**stack_settings)  # type: ignore[arg-type]
    async with RunningApp(build_reporting(reporting)) as reporting_app, RunningApp(build_outreach(outreach)) as out:
        settings = console_settings(stack_settings, tmp_path, reporting_url=reporting_app.url, outreach_url=out.url)
        async with RunningApp(build(settings)) as running:
            mongo = Mongo(settings.mongodb_url, settings.database)
            yield Console(running.url, settings, mongo, reporting_app.url)
            await mongo.close()


@dataclass
class Stack:
    """The console beside registry, outreach and reporting (the Lembaga and Petugas pages), and the services' URLs
    for what a test prepares through their APIs. One per test module: tests use names of their own."""

    console: Console
    registry_url: str
    outreach_url: str
    registry_mongo: Mongo  # the registry's database: when it has learnt outreach's campaigns and sessions
    outreach_mongo: Mongo  # outreach's database: when it has learnt registry's workers
    accounts: set[str] = field(default_factory=set)  # the logins made so far, all with the password STRONG

    async def operator(self, region: str, name: str, role: str = "district_operator") -> Browser:
        """A district operator (or ``role``) of ``region`` named ``name``, signed in with their own password; the
        first admin creates the account the first time."""
        login = f"{name.lower().replace(' ', '.')}@dinsos.example"
        browser = self.console.browser()
        if login in self.accounts:
            assert (await browser.sign_in(login, STRONG)).status_code == 303
            return browser
        admin = self.console.browser()
        email, one_time = self.console.first_admin()
        if (await admin.sign_in(email, STRONG)).status_code != 303:
            await admin.sign_in_for_good(email, one_time)
        _, password = await admin.create_user(name, login, role, region)
        await admin.close()
        await browser.sign_in_for_good(login, password)
        self.accounts.add(login)
        return browser


@asynccontextmanager
async def four_services(
    amqp_url: str, mongodb_url: str, tmp_dir: Path, *, timer_poll_seconds: float = 1.0
) -> AsyncIterator[Stack]:
    """The console beside registry, reporting and outreach in a namespace of their own, removed afterwards.
    ``timer_poll_seconds``: outreach's timers (a long one keeps a past campaign from completing at the first poll)."""
    namespace = new_namespace()
    fast = {"amqp_url": amqp_url, "mongodb_url": mongodb_url, "namespace": namespace, "jwks": TEST_JWKS}
    fast["link_secret"] = TEST_LINK_SECRET
    registry = RegistrySettings(**fast, relay_poll_seconds=0.2)  # type: ignore[arg-type]
    outreach = OutreachSettings(**fast, relay_poll_seconds=0.2, timer_poll_seconds=timer_poll_seconds)  # type: ignore[arg-type]
    async with (
        RunningApp(build_registry(registry)) as registry_app,
        RunningApp(build_reporting(ReportingSettings(**fast, relay_poll_seconds=0.2))) as reporting_app,  # type: ignore[arg-type]
        RunningApp(build_outreach(outreach)) as outreach_app,
    ):
        urls = {"registry_url": registry_app.url, "reporting_url": reporting_app.url, "outreach_url": outreach_app.url}
        settings = console_settings(fast, tmp_dir, **urls)
        async with RunningApp(build(settings)) as running:
            mongo = Mongo(settings.mongodb_url, settings.database)
            registry_mongo = Mongo(registry.mongodb_url, registry.database)
            outreach_mongo = Mongo(outreach.mongodb_url, outreach.database)
            yield Stack(
                Console(running.url, settings, mongo, reporting_app.url),
                registry_app.url,
                outreach_app.url,
                registry_mongo,
                outreach_mongo,
            )
            for each in (outreach_mongo, registry_mongo, mongo):
                await each.close()
    await delete_namespace(amqp_url, namespace)
    admin = Mongo(mongodb_url, "admin")
    for database in await admin.client.list_database_names():
        if database.startswith(f"{namespace}_"):
            await admin.client.drop_database(database)
    await admin.close()


@pytest.fixture(scope="module")
async def stack(amqp_url: str, mongodb_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    """Started once per module (four services take a while)."""
    async with four_services(amqp_url, mongodb_url, tmp_path_factory.mktemp("console")) as started:
        yield started
