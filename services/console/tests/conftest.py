"""The console running for real (uvicorn, RabbitMQ, Mongo-wire server) beside the reporting and outreach services
its Beranda calls, and a browser-like client that keeps the session cookie and posts the forms' CSRF tokens."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from pilar_dev.testing import TEST_SIGNING_KEY_PEM, RunningApp
from pilar_runtime.mongo import Mongo
from services.console.app import build
from services.console.settings import ConsoleSettings
from services.outreach.app import build as build_outreach
from services.outreach.settings import OutreachSettings
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
